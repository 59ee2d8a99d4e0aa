"""Tracing a leaked file to the recipient whose copy it came from (operators only).

The copies are not kept for this: each recipient's copy is rebuilt from the stored dataset and the
organization's key, so tracing works for as long as the dataset itself is kept (not after a recall).
"""
from __future__ import annotations

from dataclasses import dataclass

from services.common.errors import FailedPrecondition, InvalidArgument
from services.delivery import store
from services.delivery.context import DeliveryContext
from services.delivery.domain import trace
from services.delivery.domain.fingerprint import fingerprint
from services.delivery.provisioning import created_of, dataset_row, load_table

MIN_KNOWN_ROWS = 0.5


@dataclass(frozen=True)
class Traced:
    dataset_id: str
    verdict: trace.Verdict


def _candidates(ctx: DeliveryContext, dataset_id: str, columns: set[str]) -> list:
    with ctx.engine.connect() as conn:
        if dataset_id:
            row = dataset_row(conn, dataset_id)
            if row.recalled:
                raise FailedPrecondition("the dataset has been recalled; its artifacts are deleted")
            rows = [row]
        else:
            rows = [r for r in store.all_datasets(conn) if not r.recalled]
    found = [r for r in rows if columns <= set(created_of(r).items)]
    if not found:
        raise InvalidArgument("file", "its columns are not those of any registered dataset")
    return found


def _recipients(ctx: DeliveryContext, row) -> list[str]:
    with ctx.engine.connect() as conn:
        holders = {t.business_id for t in store.contracts_of_dataset(conn, row.dataset_id, row.contract_id)}
        return sorted(holders | set(store.recipients_of(conn, dataset_id=row.dataset_id)))


def _trace_one(ctx: DeliveryContext, row, leaked) -> tuple[float, Traced]:
    """The verdict on one dataset, and the share of the file's rows found in it or its copies."""
    table = load_table(ctx, created_of(row))
    columns = trace.shared_columns(leaked, table.column_names)
    leaked_keys = trace.row_keys(leaked, columns)
    unmarked = trace.row_keys(table, columns)
    copies = {r: trace.row_keys(fingerprint(table, ctx.fingerprint_key, row.dataset_id, r), columns)
              for r in _recipients(ctx, row)}
    known = set(unmarked).union(*copies.values())
    share = sum(k in known for k in leaked_keys) / len(leaked_keys)
    scores = trace.trace(leaked_keys, copies, unmarked)
    return share, Traced(row.dataset_id, trace.verdict(scores, len(leaked_keys), columns))


def trace_leak(ctx: DeliveryContext, data: bytes, dataset_id: str = "") -> Traced:
    if not data:
        raise InvalidArgument("file", "is empty")
    leaked = trace.read_leaked(data)
    if leaked.num_rows == 0:
        raise InvalidArgument("file", "has no rows")
    results = []
    for row in _candidates(ctx, dataset_id, set(leaked.column_names)):
        try:
            results.append(_trace_one(ctx, row, leaked))
        except FailedPrecondition:
            if dataset_id:
                raise
    if not results:
        raise FailedPrecondition("no dataset with these columns is still stored")
    share, best = max(results, key=lambda r: (r[0], r[1].verdict.scores[0].log_likelihood_ratio
                                              if r[1].verdict.scores else 0.0))
    if share < MIN_KNOWN_ROWS:
        raise InvalidArgument("file", "its rows are not rows of any registered dataset")
    return best
