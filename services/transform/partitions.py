"""What the Dask workers do to one partition of a municipality's extract.

Plain functions over a block of the extract (read on the worker) or an Arrow table, so Dask can
ship them; everything they return to the client is a summary (counts, hashes, a partial verifier)
or an output partition to be written.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from services.transform.blocks import Block
from services.transform.domain.anonymity import RecodingPlan, count_partition, encode_partition, recode_partition
from services.transform.domain.anonymity.released import MISSING
from services.transform.domain.formats.normalize import normalize_batch
from services.transform.domain.measure_five import MeasureFive
from services.transform.domain.operators import OperatorContext, registry
from services.transform.domain.policy import Policy, apply_policy, partial_summaries
from services.transform.domain.schema import ItemRole, RegisterEntry, RowProblem
from services.transform.domain.verification import Verifier, token_shaped_hashes

MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Survey:
    """Pass 1 of a partition: its size, its problems, and the summaries the policy needs."""

    rows: int
    problems: tuple[RowProblem, ...]
    problem_count: int
    summaries: dict[int, pa.Table] = field(default_factory=dict)
    linking_hashes: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Processed:
    """Pass 2 of a partition: the de-identified rows and what the verifier saw in them."""

    table: pa.Table
    verifier: Verifier
    problems: tuple[RowProblem, ...]
    problem_count: int


def _typed(part: Block | pa.Table, entry: RegisterEntry):
    """The partition as one typed batch; large string columns arrive chunked and are combined."""
    names = [i.name for i in entry.items]
    table = (part.read(tuple(names)) if isinstance(part, Block) else part).select(names)
    batch = pa.RecordBatch.from_arrays([column.combine_chunks() for column in table.columns],
                                       names=table.column_names)
    return normalize_batch(batch, entry, first_row=1, max_problems=MAX_PROBLEMS)


def survey(part: Block | pa.Table, entry: RegisterEntry, policy: Policy, context: OperatorContext) -> Survey:
    """Reads and normalizes only the columns the summaries and the linking-code check need; the
    other columns' problems are found by the apply pass."""
    needed = {r.column for r in policy.rules if registry.get(r.operator).needs_global_summary}
    needed |= set(entry.names(ItemRole.LINKING_CODE))
    entry = RegisterEntry(entry.municipality_code, entry.file_name, tuple(i for i in entry.items if i.name in needed))
    typed = _typed(part, entry)
    linking = {name: token_shaped_hashes(typed.batch.column(name)) for name in entry.names(ItemRole.LINKING_CODE)}
    return Survey(typed.batch.num_rows, typed.problems, typed.problem_count,
                  partial_summaries(typed.batch, policy, context), linking)


@dataclass(frozen=True)
class Applied:
    """A partition with measures 1–4 applied, held on a worker while measure 5 is searched for."""

    table: pa.Table
    extract: Verifier  # what was seen in the extract itself (hidden codes)
    problems: tuple[RowProblem, ...]
    problem_count: int


def apply(part: Block | pa.Table, entry: RegisterEntry, policy: Policy, context: OperatorContext) -> Applied:
    typed = _typed(part, entry)
    extract = Verifier(policy, entry)
    extract.note_extract(typed.batch)
    return Applied(apply_policy(typed.batch, policy, context), extract, typed.problems, typed.problem_count)


def process(part: Block | pa.Table, entry: RegisterEntry, policy: Policy, context: OperatorContext,
            linking_hashes: dict[str, np.ndarray]) -> Processed:
    """Measures 1–4 applied and verified in one go, when the contract sets no k target."""
    return verify(apply(part, entry, policy, context), linking_hashes)


def verify(applied: Applied, linking_hashes: dict[str, np.ndarray], k_target: int | None = None,
           l_targets: dict[str, int] | None = None) -> Processed:
    verifier = Verifier(applied.extract.policy, applied.extract.entry, linking_hashes, k_target=k_target,
                        l_targets=l_targets or {})
    verifier.merge(applied.extract)
    verifier.update(applied.table)
    return Processed(applied.table, replace(verifier, input_hashes={}), applied.problems, applied.problem_count)


def released_values(applied: Applied, columns: list[str]) -> dict[str, set[str]]:
    """Measure 5, step 1: the distinct released values of each quasi-identifier."""
    return {c: set(_as_text(applied.table.column(c)).unique().to_pylist()) for c in columns}


def merge_values(parts: list[dict[str, set[str]]]) -> dict[str, set[str]]:
    return {c: set().union(*(p[c] for p in parts)) for c in parts[0]}


def count_classes(applied: Applied, target: MeasureFive) -> pd.DataFrame:
    """Measure 5, step 2: counts per combination of leaf codes (and sensitive values)."""
    return count_partition(_encoded(applied, target), target.hierarchies, list(target.quasi_identifiers),
                           list(target.sensitive))


def release(applied: Applied, target: MeasureFive, plan: RecodingPlan, linking_hashes: dict[str, np.ndarray]) -> Processed:
    """Measure 5, step 3: the chosen generalization and suppression, then the independent check."""
    recoded = recode_partition(_encoded(applied, target), plan).table
    for column in target.quasi_identifiers:
        text = recoded.column(column).cast(pa.string())
        released = pc.if_else(pc.equal(text, MISSING), pa.scalar(None, pa.string()), text)
        recoded = recoded.set_column(recoded.schema.get_field_index(column), column, released)
    return verify(replace(applied, table=recoded), linking_hashes, target.k, dict(target.distinct_l))


def _encoded(applied: Applied, target: MeasureFive) -> pa.Table:
    table = applied.table
    for column in target.quasi_identifiers:
        table = table.set_column(table.schema.get_field_index(column), column, _as_text(table.column(column)))
    return encode_partition(table, [target.hierarchies[q] for q in target.quasi_identifiers])


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.fill_null(column.cast(pa.string()), MISSING)
