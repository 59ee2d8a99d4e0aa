"""Checks of an extract against its register entry, made on the bytes as they arrive, so an
invalid extract is refused before it becomes visible.

What is checked here (converting types, dates and eras is Transform's job): the bytes are valid in
the declared encoding; the header names registered items only, each once, and every requested
item; every row has as many columns as the header; INTEGER columns hold integers (or nothing).
Problems name lines, rows and columns — never a value — and at most ``max_problems`` are kept.

Bytes are taken in blocks that end at a line break outside quotes (0x0A, 0x22 and 0x2C never
occur inside a multibyte character in UTF-8 or CP932), so each block parses on its own; the rest
waits for the next block. A block without quotes is first checked with a few vectorized passes
(commas per line, digits in INTEGER fields); only a block that fails them, or has quotes, goes
through pyarrow's parser (single-threaded, so that it reports row numbers), which names the rows.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from services.common.errors import InvalidArgument
from services.intake.domain import Item

_INTEGER = r"^\s*[+-]?[0-9０-９]+\s*$|^$"
MAX_RECORD_BYTES = 4 << 20  # a record longer than this is no register row: refused, not buffered
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Problem:
    where: str   # "header", "line 12", "row 7"
    column: str  # a registered item's name, a column position, or ""
    reason: str
    at: int = 0  # the line or row, to list problems in file order

    def __str__(self) -> str:
        return f"{self.where}{', column ' + self.column if self.column else ''}: {self.reason}"


class InvalidExtract(InvalidArgument):
    """The extract does not match its register entry; carries every problem found (at most N)."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(sorted(problems, key=lambda problem: problem.at))
        super().__init__("extract", f"{len(self.problems)} problem(s): " + "; ".join(map(str, self.problems)))


def check_header(names: Sequence[str], items: Sequence[Item], requested: Sequence[str]) -> list[Problem]:
    """The header names registered items, each once, and every requested one."""
    if not any(names):
        return [Problem("header", "", "the header line names no column")]
    registered = {item.name for item in items}
    problems = [Problem("header", f"#{position}", "not an item of the register entry")
                for position, name in enumerate(names, start=1) if name not in registered]
    problems += [Problem("header", f"#{position}", "appears more than once")
                 for position, name in enumerate(names, start=1) if name in registered and name in names[:position - 1]]
    problems += [Problem("header", name, "requested but missing") for name in requested if name not in names]
    return problems


class ExtractValidator:
    """Feed it the extract's bytes in order (any block sizes), then ``finish``."""

    def __init__(self, items: Sequence[Item], requested: Sequence[str], encoding: str, max_problems: int = 20):
        self.items, self.requested, self.encoding = tuple(items), tuple(requested), encoding
        self.max_problems = max(1, max_problems)
        self.problems: list[Problem] = []
        self.rows = 0
        self.lines = 0
        self._pending = b""
        self._columns: list[str] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The extract's columns, once its header has been read."""
        return tuple(self._columns or ())

    def feed(self, data: bytes | bytearray) -> None:
        """Checks every complete record in ``data``; a record cut at its end waits for the next feed.
        The bulk of ``data`` is checked in place, without a copy."""
        start = 0
        if self._pending:
            start = _first_break_outside_quotes(data, self._pending.count(b'"') % 2 == 1)
            if not start:
                self._pending += bytes(data)
                self._check_record_length()
                return
            joined, self._pending = self._pending + data[:start], b""
            self._block(joined, b'"' in joined)
        cut = _last_break_outside_quotes(data, start)
        if cut > start:
            self._block(memoryview(data)[start:cut], data.find(b'"', start, cut) >= 0)
        self._pending = bytes(data[cut:])
        self._check_record_length()

    def _check_record_length(self) -> None:
        if len(self._pending) > MAX_RECORD_BYTES:
            self._fatal([Problem(f"line {self.lines + 1}", "", f"a record longer than {MAX_RECORD_BYTES} bytes",
                                 self.lines + 1)])

    def finish(self, declared_rows: int) -> int:
        """Checks what is left and the row count; returns the number of data rows."""
        if self._pending:
            pending, self._pending = self._pending, b""
            self._block(pending if pending.endswith(b"\n") else pending + b"\n", b'"' in pending)
        if self._columns is None:
            self._add(Problem("header", "", "the extract has no header line"))
        elif declared_rows != self.rows:
            self._add(Problem("header.row_count", "", f"{declared_rows} declared, {self.rows} rows received"))
        if self.problems:
            raise InvalidExtract(self.problems)
        return self.rows

    def _add(self, problem: Problem) -> None:
        self.problems.append(problem)
        if len(self.problems) >= self.max_problems:
            raise InvalidExtract(self.problems)

    def _fatal(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)
        raise InvalidExtract(self.problems[:self.max_problems])

    def _block(self, block, quoted: bool) -> None:
        """Checks complete records (bytes or a memoryview), the header first if not read yet."""
        text = self._as_utf8(block)
        if self._columns is None:
            text = self._header(bytes(text))
        if not len(text):
            return
        lines = None if quoted else self._fast_rows(text)
        if lines is None:
            self._rows(text, quoted)
            lines = bytes(text).count(b"\n")
        self.lines += lines

    def _header(self, text: bytes) -> bytes:
        """Reads and checks the header line; returns what follows it."""
        text = text.removeprefix(_BOM)
        header_end = _first_break_outside_quotes(text, False)
        self._columns = next(csv.reader([text[:header_end].decode()]), [])
        self.lines += text.count(b"\n", 0, header_end)
        header_problems = check_header(self._columns, self.items, self.requested)
        if header_problems:
            self._fatal(header_problems)
        return text[header_end:]

    def _fast_rows(self, text) -> int | None:
        """The lines of a quote-free block that is certainly valid (its rows are counted); None sends
        the block to the exact parser."""
        data = np.frombuffer(text, np.uint8)
        breaks = np.flatnonzero(data == 10)
        commas = np.flatnonzero(data == 44)
        width = len(self._columns)
        if len(breaks) == 0 or data[0] == 10 or len(commas) != len(breaks) * (width - 1):
            return None
        starts = np.concatenate(([0], breaks[:-1] + 1))
        ends = breaks - (data[breaks - 1] == 13)
        grid = commas.reshape(len(breaks), width - 1)
        if width > 1 and not ((grid[:, 0] >= starts).all() and (grid[:, -1] < ends).all()):
            return None
        for index in (i for i, name in enumerate(self._columns) if self._type_of(name) == "INTEGER"):
            first = starts if index == 0 else grid[:, index - 1] + 1
            last = ends if index == width - 1 else grid[:, index]
            if not _all_digits(data, first, last):
                return None
        self.rows += len(breaks)
        return len(breaks)

    def _as_utf8(self, block):
        """The block as UTF-8 for the parser; an undecodable byte is fatal and named by its line."""
        if self.encoding != "cp932" and _valid_utf8(block):
            return block
        raw = bytes(block)
        try:
            decoded = raw.decode("cp932" if self.encoding == "cp932" else "utf-8")
        except UnicodeDecodeError as error:
            line = self.lines + raw.count(b"\n", 0, error.start) + 1
            self._fatal([Problem(f"line {line}", "", f"not valid {self.encoding}", line)])
        return decoded.encode("utf-8") if self.encoding == "cp932" else raw

    def _rows(self, text, quoted: bool) -> None:
        names = [f"c{i}" for i in range(len(self._columns))]
        integers = [i for i, name in enumerate(self._columns) if self._type_of(name) == "INTEGER"]
        skipped: list[int] = []

        def on_invalid(row) -> str:
            skipped.append(row.number - 1)
            self._add(Problem(f"row {self.rows + row.number}", "",
                              f"{row.actual_columns} columns, {row.expected_columns} expected", self.rows + row.number))
            return "skip"

        table = pa_csv.read_csv(
            pa.py_buffer(text),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=False, block_size=len(text) + 1),
            parse_options=pa_csv.ParseOptions(invalid_row_handler=on_invalid, ignore_empty_lines=False,
                                              newlines_in_values=quoted),
            convert_options=pa_csv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                  include_columns=[names[i] for i in integers] or names[:1]))
        for index in integers:
            bad = pc.indices_nonzero(pc.invert(pc.match_substring_regex(table.column(names[index]), _INTEGER)))
            for kept in bad.to_pylist()[:self.max_problems]:
                row = self.rows + _row_of(kept, skipped) + 1
                self._add(Problem(f"row {row}", self._columns[index], "not an integer", row))
        self.rows += table.num_rows + len(skipped)

    def _type_of(self, name: str) -> str:
        return next((item.type for item in self.items if item.name == name), "")


def _all_digits(data: np.ndarray, first: np.ndarray, last: np.ndarray) -> bool:
    """Whether every byte of every field [first, last) is an ASCII digit."""
    lengths = last - first
    total = int(lengths.sum())
    if total == 0:
        return True
    offsets = np.repeat(first - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return not ((data[offsets + np.arange(total)] - 48) > 9).any()


def _row_of(kept_index: int, skipped: list[int]) -> int:
    """The row (from 0) of the ``kept_index``-th row the parser kept, given the rows it skipped."""
    row = kept_index
    for gap in sorted(skipped):
        if gap <= row:
            row += 1
    return row


def _first_break_outside_quotes(data, inside: bool) -> int:
    """Just after the first line break outside quotes, for ``data`` that starts inside a quoted field
    or not; 0 if there is none. Quotes are counted, so "" escapes work."""
    position = data.find(b"\n")
    while position >= 0 and (inside + data.count(b'"', 0, position)) % 2:
        position = data.find(b"\n", position + 1)
    return position + 1


def _last_break_outside_quotes(data, start: int = 0) -> int:
    """Just after the last line break outside quotes from ``start`` (which is outside quotes) on;
    ``start`` if there is none."""
    position = data.rfind(b"\n", start)
    if position < 0 or data.find(b'"', start) < 0:
        return max(position + 1, start)
    quotes = data.count(b'"', start)
    while position >= start and (quotes - data.count(b'"', position)) % 2:
        position = data.rfind(b"\n", start, position)
    return max(position + 1, start)


def _valid_utf8(block) -> bool:
    """A fast check (no Python string is built); the slow decode only runs to find the line."""
    offsets = pa.py_buffer(bytes(4) + len(block).to_bytes(4, "little", signed=True))
    try:
        pa.Array.from_buffers(pa.binary(), 1, [None, offsets, pa.py_buffer(block)]).cast(pa.string())
        return True
    except pa.ArrowInvalid:
        return False
