"""Dask execution of the k-anonymity engine.

Pass 1 parses every partition once, encodes its quasi-identifiers to leaf codes and reduces all
partitions to counts per combination of leaf codes in one distributed tree reduction; the optimal
search runs on those counts on the client; pass 2 streams every encoded partition through the
chosen transformation and each worker writes its own part. Between the passes an encoded
partition stays in worker memory when the input is small, and is spilled to disk next to the
output otherwise, so memory does not grow with rows. Only counts and per-partition summaries ever
reach the client.
"""
from __future__ import annotations

import io
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from distributed import Client

from services.transform.blocks import line_ranges
from services.transform.cluster import broadcast
from services.transform.domain.anonymity import (
    DEFAULT_UTILITY,
    AnonymityError,
    Hierarchy,
    PrivacyModel,
    RecodingPlan,
    build_report,
    count_partition,
    counts_table,
    encode_partition,
    find_optimal,
    merge_counts,
    recode_partition,
)

BLOCK_BYTES = 64 << 20
KEEP_BYTES = 512 << 20
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
    utility: str = DEFAULT_UTILITY
    keep_bytes: int = KEEP_BYTES

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
        """The partition's records, every CSV column as text; parser messages would quote data, so they are dropped."""
        if self.row_group >= 0:
            return pq.ParquetFile(self.path).read_row_group(self.row_group)
        with open(self.path, "rb") as handle:
            handle.seek(self.start)
            data = handle.read(self.end - self.start)
        try:
            return pcsv.read_csv(
                pa.py_buffer(data),
                read_options=pcsv.ReadOptions(column_names=list(self.columns), use_threads=False),
                parse_options=pcsv.ParseOptions(delimiter=self.sep),
                convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in self.columns}),
            )
        except pa.ArrowInvalid:
            raise AnonymityError("argument 'input' has rows that do not match its header (check --sep)") from None


@dataclass(frozen=True)
class KeptPartition:
    """An encoded partition held in a worker's memory between the passes."""

    encoded: pa.Table

    def read(self) -> pa.Table:
        return self.encoded

    def discard(self) -> None:
        """Memory is released with the last reference."""


@dataclass(frozen=True)
class SpilledPartition:
    """An encoded partition in an Arrow file between the passes; read back memory-mapped."""

    path: str

    def read(self) -> pa.Table:
        return pa.ipc.open_file(pa.memory_map(self.path)).read_all()

    def discard(self) -> None:
        Path(self.path).unlink()


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
        ranges = line_ranges(handle, len(header), block_bytes)
    return columns, [Block(str(path), columns, sep, start, end) for start, end in ranges]


def _encode_block(block: Block, spill: str, job: AnonymizationJob) -> KeptPartition | SpilledPartition:
    encoded = encode_partition(block.read(), [job.hierarchies[q] for q in job.quasi_identifiers])
    if not spill:
        return KeptPartition(encoded)
    with pa.OSFile(spill, "wb") as sink, pa.ipc.new_file(sink, encoded.schema) as writer:
        writer.write_table(encoded)
    return SpilledPartition(spill)


def _count_block(partition: KeptPartition | SpilledPartition, job: AnonymizationJob) -> pd.DataFrame:
    return count_partition(partition.read(), job.hierarchies, list(job.quasi_identifiers), job.sensitive_columns)


def _write_block(partition: KeptPartition | SpilledPartition, part: str, plan: RecodingPlan, sep: str) -> dict:
    recoded = recode_partition(partition.read(), plan)
    if part.endswith(".parquet"):
        pq.write_table(recoded.table, part)
    else:
        table = recoded.table.cast(pa.schema([pa.field(name, pa.string()) for name in recoded.table.column_names]))
        pcsv.write_csv(table, part, pcsv.WriteOptions(include_header=False, delimiter=sep, quoting_style="needed"))
    partition.discard()
    return {"suppressed": recoded.suppressed, "keys": recoded.class_keys, "sizes": recoded.class_sizes}


def _check_input(job: AnonymizationJob, columns: tuple[str, ...], blocks: list[Block]) -> None:
    for column in [*job.quasi_identifiers, *job.sensitive_columns]:
        if column not in columns:
            raise AnonymityError(f"column '{column}' is not in the input")
    if not blocks:
        raise AnonymityError("argument 'input' holds no records")


def _tree_reduce(client: Client, futures: list, merge: Callable[[list], object]) -> object:
    """Merges partition summaries FAN_IN at a time on the workers; only the total comes back."""
    for _ in range(64):
        if len(futures) == 1:
            break
        futures = [client.submit(merge, futures[i : i + FAN_IN], pure=False) for i in range(0, len(futures), FAN_IN)]
    return futures[0].result()


def _merge_released(parts: list[dict]) -> dict:
    """Sums released class sizes per class key, and suppressed rows, over partitions."""
    sizes = pd.Series(np.concatenate([p["sizes"] for p in parts])).groupby(np.concatenate([p["keys"] for p in parts])).sum()
    return {"suppressed": sum(p["suppressed"] for p in parts), "keys": sizes.index.to_numpy(), "sizes": sizes.to_numpy()}


def _verify(released: dict, plan_sizes: np.ndarray, suppressed: int) -> int:
    """The classes recounted from what the workers wrote must be those of the plan."""
    if released["suppressed"] != suppressed or not np.array_equal(np.sort(released["sizes"]), np.sort(plan_sizes)):
        raise AnonymityError("the written release does not match the planned transformation")
    return int(released["sizes"].min()) if len(released["sizes"]) else 0


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


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def _replace(staged: Path, target: Path) -> None:
    """A file replaces a file atomically; a dataset directory replaces whatever was there."""
    if target.exists() and (target.is_dir() or staged.is_dir()):
        _remove(target)
    staged.replace(target)


def _spill_paths(job: AnonymizationJob, blocks: list[Block], spill_dir: Path) -> list[str]:
    """No spill (keep in memory) for small inputs; one Arrow file per partition otherwise."""
    if Path(job.source).stat().st_size <= job.keep_bytes:
        return [""] * len(blocks)
    spill_dir.mkdir()
    return [str(spill_dir / f"part-{i:05d}.arrow") for i in range(len(blocks))]


def run(client: Client, job: AnonymizationJob) -> dict:
    """Anonymizes `job.source` into `job.target`; returns the report. No partial output remains on failure."""
    started = time.perf_counter()
    target_format = file_format(job.target, "out")
    columns, blocks = plan_blocks(job.source, job.sep, job.block_bytes)
    _check_input(job, columns, blocks)
    token = uuid.uuid4().hex
    staging = job.target.with_name(f".{job.target.name}.partial-{token}")
    try:
        staging.mkdir(parents=True)
        job_future = broadcast(client, job)
        spills = _spill_paths(job, blocks, job.target.with_name(f".{job.target.name}.spill-{token}"))
        encoded = client.map(_encode_block, blocks, spills, job=job_future, pure=False)
        counts = _tree_reduce(client, client.map(_count_block, encoded, job=job_future, pure=False), merge_counts)
        counted = time.perf_counter()
        table = counts_table(counts, job.hierarchies, list(job.quasi_identifiers))
        result = find_optimal(table, job.hierarchies, list(job.models), job.suppression_limit, job.utility)
        plan_future = broadcast(client, RecodingPlan.from_evaluation(result.best, job.hierarchies))
        searched = time.perf_counter()
        parts = [str(staging / f"part-{i:05d}.{target_format}") for i in range(len(blocks))]
        written = client.map(_write_block, encoded, parts, plan=plan_future, sep=job.sep, pure=False)
        released = _tree_reduce(client, written, _merge_released)
        verified_k = _verify(released, result.best.summary.sizes[~result.best.failing], result.best.suppressed)
        _replace(_assemble(staging, job.target, columns, job.sep), job.target)
    finally:
        for leftover in job.target.parent.glob(f".{job.target.name}.*-{token}*"):
            _remove(leftover)
    report = build_report(result, job.hierarchies, list(job.models), job.suppression_limit)
    report["verified_k"] = verified_k
    report["seconds"] = {"count": counted - started, "search": searched - counted, "write": time.perf_counter() - searched}
    return report
