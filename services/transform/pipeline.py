"""Creating a dataset from received extracts on Dask.

Each municipality's extract is read and processed separately, partition by partition on the
workers, then the partitions are written in order into one Parquet file. Identifier and
identification-code columns are deleted (Art. 11 measures 1 and 2).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import dask.dataframe as dd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from distributed import Client

from services.common.errors import FailedPrecondition, InvalidArgument

DELETED_ROLES = ("IDENTIFIER", "IDENTIFICATION_CODE")
BLOCK_SIZE = "64MB"


@dataclass(frozen=True)
class ExtractInput:
    extract_id: str
    municipality_code: str
    file_id: str
    url: str
    storage_options: dict
    encoding: str
    items: tuple[tuple[str, str], ...]  # (name, role) of the register entry
    row_count: int


@dataclass
class DatasetResult:
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    deleted_columns: list[str] = field(default_factory=list)
    rows_per_extract: dict[str, int] = field(default_factory=dict)


def columns_to_delete(items: tuple[tuple[str, str], ...]) -> list[str]:
    return [name for name, role in items if role in DELETED_ROLES]


def _read(extract: ExtractInput) -> dd.DataFrame:
    try:
        frame = dd.read_csv(extract.url, dtype=str, keep_default_na=False, encoding=extract.encoding,
                            blocksize=BLOCK_SIZE, storage_options=extract.storage_options)
    except UnicodeDecodeError:
        raise InvalidArgument(f"extract {extract.extract_id}", "bytes not valid in the declared encoding") from None
    except (pd.errors.ParserError, ValueError):
        raise InvalidArgument(f"extract {extract.extract_id}", "not a readable CSV file") from None
    registered = {name for name, _ in extract.items}
    for index, column in enumerate(frame.columns):
        if column not in registered:
            raise InvalidArgument(f"extract {extract.extract_id}",
                                  f"column {index + 1} is not an item of the register entry")
    return frame.drop(columns=[c for c in columns_to_delete(extract.items) if c in frame.columns])


def _to_table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    arrays = [pa.array(frame[name].to_numpy(dtype=object), type=pa.string()) for name in schema.names]
    return pa.Table.from_arrays(arrays, schema=schema)


def create_dataset(client: Client, extracts: list[ExtractInput], out: Path, window: int = 4) -> DatasetResult:
    """Writes the dataset to ``out``; raises a domain error (and writes nothing usable) on bad input."""
    frames = [(extract, _read(extract)) for extract in extracts]
    columns = list(frames[0][1].columns)
    for extract, frame in frames[1:]:
        if list(frame.columns) != columns:
            raise FailedPrecondition(f"extract {extract.extract_id}: its columns differ from the other extracts'")
    schema = pa.schema([(name, pa.string()) for name in columns])
    result = DatasetResult(columns=columns, deleted_columns=sorted({c for e, _ in frames
                                                                    for c in columns_to_delete(e.items)}))
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for extract, frame in frames:
            rows = _write_partitions(client, frame, schema, writer, window, extract.extract_id)
            if rows != extract.row_count:
                raise InvalidArgument(f"extract {extract.extract_id}",
                                      f"{rows} data rows found, {extract.row_count} declared")
            result.rows_per_extract[extract.extract_id] = rows
            result.rows += rows
    return result


def _write_partitions(client: Client, frame: dd.DataFrame, schema: pa.Schema, writer: pq.ParquetWriter,
                      window: int, extract_id: str) -> int:
    """Computes partitions on the workers, a bounded number at a time, and writes them in order."""
    pending: deque = deque()
    rows = 0
    for part in frame.to_delayed():
        pending.append(client.compute(part))
        if len(pending) >= window:
            rows += _write_one(pending.popleft(), schema, writer, extract_id)
    while pending:
        rows += _write_one(pending.popleft(), schema, writer, extract_id)
    return rows


def _write_one(future, schema: pa.Schema, writer: pq.ParquetWriter, extract_id: str) -> int:
    try:
        frame = future.result()
    except UnicodeDecodeError:
        raise InvalidArgument(f"extract {extract_id}", "bytes not valid in the declared encoding") from None
    except pd.errors.ParserError:
        raise InvalidArgument(f"extract {extract_id}", "not a readable CSV file") from None
    finally:
        future.release()
    writer.write_table(_to_table(frame, schema))
    return len(frame)
