"""Dask execution of the k-anonymity engine.

Pass 1 reduces all partitions to counts per combination of quasi-identifier leaf codes in one
distributed tree reduction; the optimal search runs on those counts on the client; pass 2 streams
every partition through the chosen transformation and each worker writes its own part. Only
counts and per-partition summaries ever reach the client, so memory does not grow with rows.
"""
from __future__ import annotations

import io
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from distributed import Client

from services.transform.domain.anonymity import (
    AnonymityError,
    Hierarchy,
    PrivacyModel,
    RecodingPlan,
    build_report,
    count_partition,
    counts_table,
    find_optimal,
    merge_counts,
    recode_partition,
)

BLOCK_BYTES = 64 << 20
FAN_IN = 8
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True)
class AnonymizationJob:
    """One file to anonymize: where it is, where the release goes, and the policy."""

    source: Path
    target: Path
    quasi_identifiers: tuple[str, ...]
    hierarchies: dict[str, Hierarchy]
    models: tuple[PrivacyModel, ...]
    suppression_limit: float
    sep: str = ";"
    block_bytes: int = BLOCK_BYTES

    @property
    def sensitive_columns(self) -> list[str]:
        return sorted({m.sensitive_column for m in self.models if m.sensitive_column is not None})


@dataclass(frozen=True)
class Block:
    """A partition of the input: a byte range of a CSV file or a row group of a Parquet file."""

    path: str
    columns: tuple[str, ...]
    sep: str
    start: int = 0
    end: int = 0
    row_group: int = -1

    def read(self) -> pa.Table:
        if self.row_group >= 0:
            return pq.ParquetFile(self.path).read_row_group(self.row_group)
        with open(self.path, "rb") as handle:
            handle.seek(self.start)
            data = handle.read(self.end - self.start)
        return pcsv.read_csv(
            pa.py_buffer(data),
            read_options=pcsv.ReadOptions(column_names=list(self.columns), use_threads=False),
            parse_options=pcsv.ParseOptions(delimiter=self.sep),
            convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in self.columns}),
        )


def file_format(path: Path, argument: str) -> str:
    """csv or parquet, from the file name's extension."""
    found = FORMATS.get(Path(path).suffix.lower())
    if found is None:
        raise AnonymityError(f"argument '{argument}' must name a .csv or .parquet file")
    return found


def plan_blocks(path: Path, sep: str, block_bytes: int) -> tuple[tuple[str, ...], list[Block]]:
    """The columns, and the input split at line starts (CSV) or row groups (Parquet) without reading it."""
    if not Path(path).is_file():
        raise AnonymityError("argument 'input' must name an existing file")
    if file_format(path, "input") == "parquet":
        parquet = pq.ParquetFile(path)
        columns = tuple(parquet.schema_arrow.names)
        return columns, [Block(str(path), columns, sep, row_group=i) for i in range(parquet.num_row_groups)]
    with open(path, "rb") as handle:
        header = handle.readline()
        columns = tuple(pcsv.read_csv(io.BytesIO(header), parse_options=pcsv.ParseOptions(delimiter=sep)).column_names)
        size = handle.seek(0, io.SEEK_END)
        starts = [len(header)]
        for offset in range(len(header) + block_bytes, size, block_bytes):
            handle.seek(offset)
            handle.readline()
            if handle.tell() < size and handle.tell() > starts[-1]:
                starts.append(handle.tell())
    ends = starts[1:] + [size]
    return columns, [Block(str(path), columns, sep, start, end) for start, end in zip(starts, ends) if end > start]


def _count_block(block: Block, job: AnonymizationJob) -> pd.DataFrame:
    return count_partition(block.read(), job.hierarchies, list(job.quasi_identifiers), job.sensitive_columns)


def _write_block(block: Block, part: str, plan: RecodingPlan, sep: str) -> dict:
    recoded = recode_partition(block.read(), plan)
    if part.endswith(".parquet"):
        pq.write_table(recoded.table, part)
    else:
        table = recoded.table.cast(pa.schema([pa.field(name, pa.string()) for name in recoded.table.column_names]))
        pcsv.write_csv(table, part, pcsv.WriteOptions(include_header=False, delimiter=sep, quoting_style="needed"))
    return {"suppressed": recoded.suppressed, "keys": recoded.class_keys, "sizes": recoded.class_sizes}


def _check_input(job: AnonymizationJob, columns: tuple[str, ...], blocks: list[Block]) -> None:
    for column in [*job.quasi_identifiers, *job.sensitive_columns]:
        if column not in columns:
            raise AnonymityError(f"column '{column}' is not in the input")
    if not blocks:
        raise AnonymityError("argument 'input' holds no records")


def _tree_reduce(client: Client, futures: list) -> pd.DataFrame:
    """Merges partition counts FAN_IN at a time on the workers; only the total comes back."""
    for _ in range(64):
        if len(futures) == 1:
            break
        futures = [client.submit(merge_counts, futures[i : i + FAN_IN], pure=False) for i in range(0, len(futures), FAN_IN)]
    return futures[0].result()


def _verify(summaries: list[dict], plan_sizes: np.ndarray, suppressed: int) -> int:
    """Recounts the released classes from what the workers wrote; they must match the plan."""
    keys = np.concatenate([s["keys"] for s in summaries])
    sizes = np.concatenate([s["sizes"] for s in summaries])
    released = pd.Series(sizes).groupby(keys).sum().to_numpy()
    if sum(s["suppressed"] for s in summaries) != suppressed or not np.array_equal(np.sort(released), np.sort(plan_sizes)):
        raise AnonymityError("the written release does not match the planned transformation")
    return int(released.min()) if len(released) else 0


def _assemble(parts_dir: Path, target: Path, columns: tuple[str, ...], sep: str) -> Path:
    """Parquet: the directory of parts is the dataset. CSV: header and parts joined into one file."""
    if file_format(target, "out") != "csv":
        return parts_dir
    joined = parts_dir.with_name(parts_dir.name + ".csv")
    empty = pa.table({name: pa.array([], pa.string()) for name in columns})
    with open(joined, "wb") as out:
        pcsv.write_csv(empty, out, pcsv.WriteOptions(delimiter=sep, quoting_style="needed"))
        for part in sorted(parts_dir.iterdir()):
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, out, 16 << 20)
    shutil.rmtree(parts_dir)
    return joined


def _replace(staged: Path, target: Path) -> None:
    if target.is_dir():
        shutil.rmtree(target)
    staged.replace(target)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def run(client: Client, job: AnonymizationJob) -> dict:
    """Anonymizes `job.source` into `job.target`; returns the report. No partial output remains on failure."""
    target_format = file_format(job.target, "out")
    columns, blocks = plan_blocks(job.source, job.sep, job.block_bytes)
    _check_input(job, columns, blocks)
    [job_future] = client.scatter([job], broadcast=True)
    counts = _tree_reduce(client, client.map(_count_block, blocks, job=job_future, pure=False))
    result = find_optimal(counts_table(counts, job.hierarchies, list(job.quasi_identifiers)), job.hierarchies, list(job.models), job.suppression_limit)
    plan = RecodingPlan.from_evaluation(result.best, job.hierarchies)
    staging = job.target.with_name(f".{job.target.name}.partial-{uuid.uuid4().hex}")
    staging.mkdir(parents=True)
    try:
        [plan_future] = client.scatter([plan], broadcast=True)
        parts = [str(staging / f"part-{i:05d}.{target_format}") for i in range(len(blocks))]
        summaries = client.gather(client.map(_write_block, blocks, parts, plan=plan_future, sep=job.sep, pure=False))
        kept_sizes = result.best.summary.sizes[~result.best.failing]
        verified_k = _verify(summaries, kept_sizes, result.best.suppressed)
        staged = _assemble(staging, job.target, columns, job.sep)
        _replace(staged, job.target)
    finally:
        for leftover in job.target.parent.glob(f"{staging.name}*"):
            _remove(leftover)
    report = build_report(result, job.hierarchies, list(job.models), job.suppression_limit)
    report["verified_k"] = verified_k
    return report
