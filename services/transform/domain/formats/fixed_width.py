"""Stream fixed-width records whose field positions are byte offsets counted in CP932."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..errors import TransformError
from ..schema import RowProblem


@dataclass(frozen=True)
class FieldSpec:
    name: str
    start: int
    length: int


@dataclass(frozen=True)
class Layout:
    """Fields of a record of `record_length` bytes, each record followed by `newline`."""

    fields: tuple[FieldSpec, ...]
    record_length: int
    newline: bytes = b"\r\n"

    def check(self) -> None:
        """A layout that does not fit the record, or whose fields overlap, is refused."""
        end = 0
        for spec in sorted(self.fields, key=lambda f: f.start):
            if spec.start < 0 or spec.length <= 0 or spec.start + spec.length > self.record_length:
                raise TransformError(f"layout field {spec.name} does not fit a record of {self.record_length} bytes")
            if spec.start < end:
                raise TransformError(f"layout field {spec.name} overlaps the previous field")
            end = spec.start + spec.length


def read_fixed_width(
    path: str, layout: Layout, batch_records: int = 200_000, encoding: str = "cp932",
) -> Iterator[pa.RecordBatch]:
    """Yield string batches; a record of the wrong length or with bytes invalid in CP932 is reported."""
    layout.check()
    width = layout.record_length + len(layout.newline)
    record = 0
    with open(path, "rb") as stream:
        while chunk := stream.read(width * batch_records):
            rows = _records(chunk, layout, record)
            yield pa.RecordBatch.from_arrays([_field(rows, f, record, encoding) for f in layout.fields],
                                             names=[f.name for f in layout.fields])
            record += len(rows)


def _records(chunk: bytes, layout: Layout, before: int) -> np.ndarray:
    width = layout.record_length + len(layout.newline)
    whole = len(chunk) - len(chunk) % width
    rows = np.frombuffer(chunk, dtype=np.uint8, count=whole).reshape(-1, width)
    ends = rows[:, layout.record_length:]
    wrong = np.flatnonzero((ends != np.frombuffer(layout.newline, dtype=np.uint8)).any(axis=1))
    if len(wrong) or whole < len(chunk):
        bad = [int(r) + 1 for r in wrong[:100]] or [len(rows) + 1]
        raise TransformError("the file does not match the layout's record length",
                             [RowProblem(before + r, "", f"record {before + r} does not end where the layout says") for r in bad])
    return rows


def _field(rows: np.ndarray, spec: FieldSpec, before: int, encoding: str) -> pa.Array:
    """Decode one field of every record at once: the slices joined by line feeds (never a CP932 trail byte)."""
    cells = np.empty((len(rows), spec.length + 1), dtype=np.uint8)
    cells[:, :-1] = rows[:, spec.start:spec.start + spec.length]
    cells[:, -1] = ord("\n")
    try:
        text = cells.tobytes().decode(encoding)
    except UnicodeDecodeError as error:
        row = before + error.start // (spec.length + 1) + 1
        raise TransformError("a field is not valid CP932 (or the layout cuts a character in two)",
                             [RowProblem(row, spec.name, f"invalid {encoding} bytes in record {row}")]) from None
    return pa.array(text.split("\n")[:-1], type=pa.string())
