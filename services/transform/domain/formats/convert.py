"""Format conversion: string batches in, canonical Parquet out, one batch in memory at a time."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from ..schema import RegisterEntry, RowProblem
from .normalize import CodeValidator, canonical_schema, normalize_batch


@dataclass(frozen=True)
class ConversionResult:
    rows: int
    problems: tuple[RowProblem, ...]
    problem_count: int


def convert_to_parquet(
    batches: Iterable[pa.RecordBatch],
    entry: RegisterEntry,
    sink: str | pa.NativeFile,
    validators: Mapping[str, CodeValidator] | None = None,
    max_problems: int = 1000,
    observe: Callable[[pa.RecordBatch], None] | None = None,
) -> ConversionResult:
    """Normalize every batch and write it; problems are kept up to `max_problems`, all are counted.

    `observe` sees each canonical batch, e.g. to take partial summaries or input hashes in the same pass.
    """
    rows, count, problems = 0, 0, []
    with pq.ParquetWriter(sink, canonical_schema(entry)) as writer:
        for batch in batches:
            result = normalize_batch(batch, entry, rows + 1, validators, max_problems - len(problems))
            writer.write_batch(result.batch)
            if observe is not None:
                observe(result.batch)
            problems.extend(result.problems)
            count += result.problem_count
            rows += batch.num_rows
    return ConversionResult(rows, tuple(problems), count)
