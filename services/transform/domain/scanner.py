"""Find identification codes hidden in string columns (remarks, free text), reported without values.

Cells are NFKC-normalized and upper-cased first, so full-width digits are found too. A bare run of
digits glued to Latin letters or digits is not a code (so hex tokens never match). One RE2 pass over
the whole column finds the cells matching any pattern; only those are looked at again, kind by kind,
and a 12-digit number is a My Number when its check digit is valid, else a driving licence number.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .distinct import few_distinct

_START, _END = r"(?:^|[^0-9])", r"(?:[^0-9]|$)"
_ALNUM_START, _ALNUM_END = r"(?:^|[^0-9A-Z])", r"(?:[^0-9A-Z]|$)"


class CodeKind(enum.Enum):
    MY_NUMBER = "my_number"
    DRIVING_LICENCE = "driving_licence"
    PENSION_NUMBER = "pension_number"
    PASSPORT = "passport"
    HEALTH_INSURANCE = "health_insurance"
    PHONE = "phone"


@dataclass(frozen=True)
class Finding:
    row: int
    column: str
    kind: CodeKind


_TWELVE = re.compile(r"(?<![0-9A-Z])(\d{4})[- ]?(\d{4})[- ]?(\d{4})(?![0-9A-Z])")
_PATTERNS = {
    CodeKind.PENSION_NUMBER: _START + r"\d{4}-\d{6}" + _END,
    CodeKind.PASSPORT: _ALNUM_START + r"[A-Z]{2}\d{7}" + _ALNUM_END,
    CodeKind.HEALTH_INSURANCE: r"(?:被保険者|保険者|保険証|記号)(?:番号)?[^0-9]{0,6}\d[\d ・-]{4,}\d",
    CodeKind.PHONE: "|".join([
        _ALNUM_START + r"0[5789]0\d{8}" + _ALNUM_END,
        _START + r"(?:0[5789]0-\d{4}-\d{4}|0\d-\d{4}-\d{4}|0\d{2}-\d{3}-\d{4}|0\d{3}-\d{2}-\d{4}"
                 r"|0\d{4}-\d-\d{4}|0\d{1,4}\(\d{1,4}\)\d{4})" + _END,
    ]),
}
_CANDIDATE = _ALNUM_START + r"\d{4}[- ]?\d{4}[- ]?\d{4}" + _ALNUM_END
_ANY = "|".join(f"(?:{p})" for p in (*_PATTERNS.values(), _CANDIDATE))
_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def my_number_check_digit(first_eleven: str) -> int:
    """Check digit of a My Number: weights Q_n on P_n counted from the right; 0 if the remainder is ≤ 1."""
    remainder = sum(int(d) * w for d, w in zip(first_eleven, _WEIGHTS, strict=True)) % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_my_number(digits: str) -> bool:
    return len(digits) == 12 and digits.isdigit() and my_number_check_digit(digits[:11]) == int(digits[11])


def scan(table: pa.Table | pa.RecordBatch, first_row: int = 1) -> list[Finding]:
    """Findings in every string column; `first_row` is the record number of the table's first row."""
    findings: list[Finding] = []
    for name in table.schema.names:
        column = table.column(name)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            findings.extend(scan_column(column, name, first_row))
    return findings


def scan_column(column: pa.Array | pa.ChunkedArray, name: str, first_row: int = 1) -> list[Finding]:
    """Findings in one column; a column with few distinct values is scanned once per distinct value."""
    values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not few_distinct(values):
        return [Finding(first_row + row, name, kind) for row, kind in _scan(values)]
    encoded = pc.dictionary_encode(values)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    found = _scan(encoded.dictionary)
    rows = [(int(r), kind) for kind in {k for _, k in found}
            for r in np.flatnonzero(np.isin(indices, [i for i, k in found if k is kind]))]
    return [Finding(first_row + row, name, kind) for row, kind in sorted(rows, key=lambda f: (f[0], f[1].value))]


def _scan(values: pa.Array) -> list[tuple[int, CodeKind]]:
    """(0-based row, kind): one pass with every pattern at once, then each kind on the matching cells only."""
    ascii_only = pc.all(pc.string_is_ascii(values)).as_py() is not False
    text = pc.ascii_upper(values) if ascii_only else pc.utf8_upper(pc.utf8_normalize(values, form="NFKC"))
    hits = _rows(text, _ANY)
    cells = pc.take(text, pa.array(hits, type=pa.int64()))
    found = [(int(hits[r]), kind) for kind, pattern in _PATTERNS.items() for r in _rows(cells, pattern)]
    for row, cell in zip(hits, cells.to_pylist()):
        numbers = ["".join(m.groups()) for m in _TWELVE.finditer(cell)]
        found.extend((int(row), CodeKind.MY_NUMBER if is_my_number(n) else CodeKind.DRIVING_LICENCE) for n in set(numbers))
    return sorted(set(found), key=lambda f: (f[0], f[1].value))


def _rows(text: pa.Array | pa.ChunkedArray, pattern: str) -> np.ndarray:
    hits = pc.match_substring_regex(text, pattern).fill_null(False)
    return np.flatnonzero(hits.to_numpy(zero_copy_only=False))
