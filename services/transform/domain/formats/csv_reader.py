"""Stream a delimited text file as batches of string columns, in blocks of bytes.

The file is cut at line ends, so a quoted value must not contain a line break (municipal
extract files do not); memory is bounded by `block_size`, not by the file.
"""
from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import TransformError
from ..schema import RowProblem

ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "cp932": "cp932", "windows-31j": "cp932",
             "shift-jis": "cp932", "sjis": "cp932"}
"""Declared encodings; Shift_JIS files are read as CP932, its Windows superset used by municipal systems."""
_BOM = codecs.BOM_UTF8


def read_csv(path: str, encoding: str = "utf-8", block_size: int = 1 << 24, delimiter: str = ",") -> Iterator[pa.RecordBatch]:
    """Yield string batches; raises TransformError naming the line of any invalid byte sequence."""
    codec = _codec(encoding)
    with open(path, "rb") as stream:
        header = _strip_bom(stream.readline())
        names = _decode(header, codec, 0).rstrip("\r\n")
        columns = next(csv.reader([names], delimiter=delimiter))
        line = 1
        for block in _blocks(stream, block_size):
            text = _decode(block, codec, line)
            yield from _parse(text, columns, delimiter, line)
            line += block.count(b"\n")


def _codec(encoding: str) -> str:
    try:
        return ENCODINGS[encoding.lower().replace("_", "-")]
    except KeyError:
        raise TransformError(f"encoding {encoding!r} is not supported; use one of {sorted(ENCODINGS)}") from None


def _strip_bom(header: bytes) -> bytes:
    return header[len(_BOM):] if header.startswith(_BOM) else header


def _blocks(stream: BinaryIO, block_size: int) -> Iterator[bytes]:
    rest = b""
    while chunk := stream.read(block_size):
        chunk = rest + chunk
        cut = chunk.rfind(b"\n") + 1
        if cut == 0:
            rest = chunk
            continue
        rest = chunk[cut:]
        yield chunk[:cut]
    if rest.strip():
        yield rest + b"\n"


def _decode(block: bytes, codec: str, lines_before: int) -> str:
    try:
        return block.decode(codec)
    except UnicodeDecodeError:
        problems = [RowProblem(lines_before + n - 1, "", f"invalid {codec} bytes at line {lines_before + n}")
                    for n, raw in enumerate(block.split(b"\n"), start=1) if not _decodes(raw, codec)]
        raise TransformError("the file does not match its declared encoding", problems) from None


def _decodes(raw: bytes, codec: str) -> bool:
    try:
        raw.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _parse(text: str, columns: list[str], delimiter: str, lines_before: int) -> Iterator[pa.RecordBatch]:
    """Parse one block; a row with the wrong number of fields is reported by line, never by content."""
    invalid = []
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=columns, block_size=1 << 26),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=lambda row: invalid.append(1) or "skip"),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in columns}),
        )
    except pa.ArrowInvalid:
        raise TransformError(f"the file cannot be parsed as CSV after line {lines_before}") from None
    if invalid:
        problems = _field_count_problems(text, len(columns), delimiter, lines_before)
        raise TransformError("rows with a wrong number of fields", problems)
    yield from table.to_batches()


def _field_count_problems(text: str, expected: int, delimiter: str, lines_before: int) -> list[RowProblem]:
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    return [RowProblem(lines_before + n - 1, "", f"{len(fields)} fields instead of {expected} at line {lines_before + n}")
            for n, fields in enumerate(rows, start=1) if fields and len(fields) != expected]
