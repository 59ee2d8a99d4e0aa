"""Preliminary processing at the municipality (一定の加工), before anything is sent.

The municipality keeps only what the data request asks for — the requested items and the
linking code (the item with role LINKING_CODE, so the organization can tell records apart) —
and drops every other column. The source header is checked against the register entry first:
a requested or linking item missing from the source is an error naming that column. Rows stream
through one at a time, so memory does not grow with the file. Errors name lines and columns,
never a value.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from services.common.errors import InvalidArgument
from services.intake.domain import Item

OUTPUT_ENCODING = "utf-8"


@dataclass(frozen=True)
class Prepared:
    columns: tuple[str, ...]
    rows: int


def kept_items(items: Sequence[Item], requested: Sequence[str]) -> tuple[str, ...]:
    """The columns the extract carries, in register order: the linking code and the requested items."""
    registered = {item.name for item in items}
    for name in requested:
        if name not in registered:
            raise InvalidArgument(f"request.items: {name}", "not an item of the register entry")
    return tuple(item.name for item in items if item.name in requested or item.role == "LINKING_CODE")


def column_plan(header: Sequence[str], items: Sequence[Item], requested: Sequence[str]) -> list[int]:
    """Positions in the source of the columns to keep; each must appear exactly once."""
    plan = []
    for name in kept_items(items, requested):
        positions = [i for i, column in enumerate(header) if column == name]
        if not positions:
            raise InvalidArgument(f"source header: {name}", "requested by the data request but missing")
        if len(positions) > 1:
            raise InvalidArgument(f"source header: {name}", "appears more than once")
        plan.append(positions[0])
    return plan


def prepare_rows(rows: Iterable[list[str]], items: Sequence[Item], requested: Sequence[str]) -> Iterator[list[str]]:
    """The output rows, header first; a row with the wrong number of columns is an error naming it."""
    rows = iter(rows)
    header = next(rows, None)
    if header is None:
        raise InvalidArgument("source", "empty: no header line")
    plan = column_plan(header, items, requested)
    yield [header[i] for i in plan]
    for number, row in enumerate(rows, start=1):
        if len(row) != len(header):
            raise InvalidArgument(f"source row {number}", f"{len(row)} columns, {len(header)} expected")
        yield [row[i] for i in plan]


def decoded_lines(handle: Iterable[bytes], encoding: str) -> Iterator[str]:
    """Lines of a binary file decoded one by one, so a bad byte is named by its line."""
    for number, raw in enumerate(handle, start=1):
        try:
            yield raw.decode(encoding)
        except UnicodeDecodeError:
            raise InvalidArgument(f"source line {number}", f"not valid {encoding}") from None


def prepare_file(source: Path, out: Path, encoding: str, items: Sequence[Item], requested: Sequence[str]) -> Prepared:
    """Writes the prepared extract (UTF-8) to ``out``; on any error no output is left behind."""
    partial = out.with_name(out.name + ".partial")
    rows = -1
    try:
        with open(source, "rb") as raw, open(partial, "w", encoding=OUTPUT_ENCODING, newline="") as target:
            writer = csv.writer(target, lineterminator="\n")
            columns: tuple[str, ...] = ()
            for row in prepare_rows(csv.reader(decoded_lines(raw, encoding)), items, requested):
                columns = columns or tuple(row)
                writer.writerow(row)
                rows += 1
            target.flush()
            os.fsync(target.fileno())
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return Prepared(columns, rows)
