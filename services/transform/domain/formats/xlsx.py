"""Stream an Excel workbook sheet (first row = header) as batches of string columns."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import openpyxl
import pyarrow as pa

from ..errors import TransformError


def read_xlsx(path: str, sheet: str | None = None, batch_rows: int = 50_000) -> Iterator[pa.RecordBatch]:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        rows = worksheet.iter_rows(values_only=True)
        header = {i: str(c) for i, c in enumerate(next(rows, ())) if c is not None}
        if not header:
            raise TransformError("the sheet has no header row")
        buffer: list[tuple] = []
        for row in rows:
            buffer.append(row)
            if len(buffer) == batch_rows:
                yield _batch(buffer, header)
                buffer = []
        if buffer:
            yield _batch(buffer, header)
    finally:
        workbook.close()


def _batch(rows: list[tuple], header: dict[int, str]) -> pa.RecordBatch:
    """`header` maps a sheet column position to its name; columns without a name are ignored."""
    columns = [[_text(r[i]) if i < len(r) else None for r in rows] for i in header]
    return pa.RecordBatch.from_arrays([pa.array(c, type=pa.string()) for c in columns], names=list(header.values()))


def _text(value: object) -> str | None:
    """Cells typed by Excel become the strings a CSV export would hold."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
