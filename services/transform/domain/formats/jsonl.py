"""Stream JSON Lines (one object per line) as batches of string columns."""
from __future__ import annotations

import json
from collections.abc import Iterator

import pyarrow as pa

from ..errors import TransformError
from ..schema import RowProblem


def read_jsonl(path: str, columns: list[str], batch_rows: int = 100_000) -> Iterator[pa.RecordBatch]:
    """`columns` come from the register entry; keys absent from a line are null, others ignored."""
    buffer: list[dict] = []
    with open(path, "rb") as stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                buffer.append(_object(line, number))
            if len(buffer) == batch_rows:
                yield _batch(buffer, columns)
                buffer = []
    if buffer:
        yield _batch(buffer, columns)


def _object(line: bytes, number: int) -> dict:
    try:
        value = json.loads(line.decode("utf-8-sig" if number == 1 else "utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        value = None
    if not isinstance(value, dict):
        raise TransformError("not JSON Lines", [RowProblem(number, "", f"line {number} is not a JSON object")])
    return value


def _batch(rows: list[dict], columns: list[str]) -> pa.RecordBatch:
    arrays = [pa.array([_text(r.get(c)) for r in rows], type=pa.string()) for c in columns]
    return pa.RecordBatch.from_arrays(arrays, names=columns)


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
