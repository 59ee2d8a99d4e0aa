"""Creating a dataset from received extracts on Dask (Art. 11 measures 1–5, verified).

Each municipality's extract is processed separately under the policy derived from its register
entry and the contracted degrees, in blocks each worker reads itself (`blocks.py`): an optional
survey pass gathers the global summaries and the token-shaped linking codes the policy and the
verifier need; the apply pass normalizes, applies the bound policy and verifies each partition on
the workers (with a k target, measure 5 comes between applying and verifying). Partitions come back a bounded window at
a time and are written in order into one Parquet file. Anything wrong — a row that does not parse,
a measure that fails, a row count that differs from the declared one — raises a domain error, and
the caller publishes nothing.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from distributed import Client

from services.common.errors import FailedPrecondition, InvalidArgument
from services.transform import blocks, partitions
from services.transform.blocks import Block
from services.transform.cluster import broadcast
from services.transform.domain import measure_five
from services.transform.domain.anonymity import (AnonymityError, RecodingPlan, counts_table, find_optimal,
                                                 merge_counts)
from services.transform.domain.anonymity import build_report as build_release_report
from services.transform.domain.errors import TransformError
from services.transform.domain.measure_five import AnonymityTarget
from services.transform.domain.measures import VerificationResult
from services.transform.domain.operators import OperatorContext, registry
from services.transform.domain.policy import Policy, bind_summaries, derive_policy, merge_summaries
from services.transform.domain.schema import ItemRole, RegisterEntry, RowProblem
from services.transform.domain.verification import Verifier

FAN_IN = 8


@dataclass(frozen=True)
class Source:
    """One municipality's extract as transform processes it."""

    extract_id: str
    municipality_code: str
    file_id: str
    url: str
    storage_options: dict
    encoding: str
    row_count: int
    entry: RegisterEntry          # the register entry (narrowed to the extract's items when opened)
    requested: dict[str, str]     # item → contracted degree
    anonymity: AnonymityTarget = AnonymityTarget()


@dataclass(frozen=True)
class SourceResult:
    source: Source
    policy: Policy                # bound: processing-method information, never delivered
    verification: VerificationResult
    release: dict = field(default_factory=dict)  # measure 5: the chosen generalization, its loss


@dataclass
class DatasetResult:
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    sources: list[SourceResult] = field(default_factory=list)


def create_dataset(client: Client, sources: list[Source], out: Path, reference_date: dt.date,
                   window: int = 4) -> DatasetResult:
    """Writes the dataset to ``out``; raises a domain error on bad input or a failed measure."""
    secret_key = os.urandom(32)
    opened = [_open(source) for source in sources]
    result, writer, partition_base = DatasetResult(), None, 0
    try:
        for source, parts in opened:
            contexts = [OperatorContext(secret_key, reference_date, partition_base + i) for i in range(len(parts))]
            partition_base += len(parts)
            writer, done = _process_source(client, source, parts, contexts, out, writer, window)
            result.sources.append(done)
            result.rows += done.verification.rows
    finally:
        if writer is not None:
            writer.close()
    result.columns = pq.read_schema(out).names
    return result


def _open(source: Source) -> tuple[Source, list[Block]]:
    """Plans the extract's blocks and narrows its entry to the items it carries (preliminary
    processing at the municipality drops the others)."""
    with _reading(source):
        parts = blocks.plan(source.url, source.storage_options, source.encoding)
    columns = parts[0].columns if parts else ()
    registered = {item.name for item in source.entry.items}
    for index, column in enumerate(columns):
        if column not in registered:
            raise InvalidArgument(f"extract {source.extract_id}",
                                  f"column {index + 1} is not an item of the register entry")
    carried = tuple(item for item in source.entry.items if item.name in columns)
    entry = RegisterEntry(source.entry.municipality_code, source.entry.file_name, carried)
    return dataclasses.replace(source, entry=entry), parts


def _process_source(client: Client, source: Source, parts: list[Block], contexts: list[OperatorContext],
                    out: Path, writer: pq.ParquetWriter | None, window: int):
    policy = derive_policy(source.entry, source.requested)
    hashes: dict[str, np.ndarray] = {}
    summarized = any(registry.get(rule.operator).needs_global_summary for rule in policy.rules)
    if summarized or source.entry.names(ItemRole.LINKING_CODE):
        surveys = _gather(client, [client.submit(partitions.survey, p, source.entry, policy, c, pure=False)
                                   for p, c in zip(parts, contexts)], source)
        _raise_problems(source, [(s.problems, s.problem_count, s.rows) for s in surveys])
        if summarized:
            policy = bind_summaries(policy, merge_summaries(s.summaries for s in surveys))
        hashes = {name: np.sort(np.concatenate([s.linking_hashes[name] for s in surveys]))
                  for name in source.entry.names(ItemRole.LINKING_CODE)}
    shared = broadcast(client, hashes) if hashes else {}
    target = source.anonymity
    verifier = Verifier(policy, source.entry, hashes, k_target=target.k if target.enforced else None,
                        l_targets=dict(target.distinct_l) if target.enforced else {})
    found, release = [], {}
    if target.enforced:
        outputs, release = _measure_five(client, source, policy, parts, contexts, shared)
    else:
        outputs = (client.submit(partitions.process, part, source.entry, policy, context, shared, pure=False)
                   for part, context in zip(parts, contexts))
    pending: deque = deque()
    for output in outputs:
        pending.append(output)
        if len(pending) >= window:
            writer = _write(pending.popleft(), source, out, writer, verifier, found)
    while pending:
        writer = _write(pending.popleft(), source, out, writer, verifier, found)
    _raise_problems(source, found)
    verification = verifier.finish()
    _check(source, verification)
    return writer, SourceResult(source, policy, verification, release)


def _measure_five(client: Client, source: Source, policy: Policy, parts: list, contexts: list[OperatorContext],
                  shared) -> tuple[Iterator, dict]:
    """Applies measures 1–4 and keeps the partitions on the workers; gathers the released values
    and then the class counts (tree reductions: only summaries reach this process); searches the
    optimal generalization; returns the partitions' releases, to be written in order."""
    applied = [client.submit(partitions.apply, p, source.entry, policy, c, pure=False) for p, c in zip(parts, contexts)]
    names = list(measure_five.quasi_identifiers(source.entry, policy))
    try:
        with _reading(source):
            values = _tree_reduce(client, client.map(partitions.released_values, applied, columns=names, pure=False),
                                  partitions.merge_values)
            five = measure_five.plan(source.anonymity, source.entry, policy, values)
            shared_five = broadcast(client, five)
            counts = _tree_reduce(client, client.map(partitions.count_classes, applied, target=shared_five,
                                                     pure=False), merge_counts)
        table = counts_table(counts, dict(five.hierarchies), names)
        result = find_optimal(table, dict(five.hierarchies), list(five.models), five.suppression_limit)
    except AnonymityError as error:
        raise FailedPrecondition(f"extract {source.extract_id}: Art. 11 measure 5: {error}") from None
    plan = broadcast(client, RecodingPlan.from_evaluation(result.best, dict(five.hierarchies)))
    report = build_release_report(result, dict(five.hierarchies), list(five.models), five.suppression_limit)
    release = {key: report[key] for key in ("suppressed", "granularity", "classes", "transformation")}
    return (client.submit(partitions.release, a, shared_five, plan, shared, pure=False) for a in applied), release


def _tree_reduce(client: Client, futures: list, merge) -> object:
    """Merges partition summaries FAN_IN at a time on the workers; only the total comes back."""
    while len(futures) > 1:
        futures = [client.submit(merge, futures[i:i + FAN_IN], pure=False) for i in range(0, len(futures), FAN_IN)]
    return futures[0].result()


@contextmanager
def _reading(source: Source):
    """Reading errors raised on a worker become the extract's error, without the parser's message."""
    try:
        yield
    except blocks.UnreadableBlock as error:
        raise InvalidArgument(f"extract {source.extract_id}", str(error)) from None


def _gather(client: Client, futures: list, source: Source) -> list:
    with _reading(source):
        return client.gather(futures)


def _write(future, source: Source, out: Path, writer: pq.ParquetWriter | None, verifier: Verifier,
           found: list) -> pq.ParquetWriter:
    try:
        processed: partitions.Processed = _gather_one(future, source)
    finally:
        future.release()
    if writer is None:
        writer = pq.ParquetWriter(out, processed.table.schema, compression="zstd")
    if processed.table.schema != writer.schema:
        raise FailedPrecondition(f"extract {source.extract_id}: its columns differ from the other extracts'")
    writer.write_table(processed.table)
    verifier.merge(processed.verifier)
    found.append((processed.problems, processed.problem_count, processed.table.num_rows))
    return writer


def _gather_one(future, source: Source):
    with _reading(source):
        return future.result()


def _raise_problems(source: Source, per_partition: list[tuple[tuple[RowProblem, ...], int, int]]) -> None:
    """Fails on row problems, numbering rows from the start of the extract."""
    problems, count, offset = [], 0, 0
    for found, found_count, rows in per_partition:
        problems.extend(RowProblem(offset + p.row, p.column, p.reason) for p in found)
        count += found_count
        offset += rows
    if count:
        raise TransformError(f"extract {source.extract_id}: {count} row problems",
                             tuple(problems[:partitions.MAX_PROBLEMS]))


def _check(source: Source, verification: VerificationResult) -> None:
    if verification.rows != source.row_count:
        raise InvalidArgument(f"extract {source.extract_id}",
                              f"{verification.rows} data rows found, {source.row_count} declared")
    failed = [str(m.measure) for m in verification.measures if m.status == "fail"]
    if failed:
        raise FailedPrecondition(f"extract {source.extract_id}: verification failed on Art. 11 measure "
                                 f"{', '.join(failed)}; nothing is published")
