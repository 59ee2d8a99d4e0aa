"""Find identification codes hidden in string columns (remarks, free text), reported without values.

Cells are NFKC-normalized and upper-cased first, so full-width digits are found too. A bare run
of digits glued to Latin letters or digits is not a code (so hex tokens never match). One RE2 pass over the whole column
finds cells matching any pattern; only cells matching some pattern are then looked at one by one to tell a My Number
(valid check digit) from another 12-digit code, which is reported as a driving licence number.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
_WEIGHTS = np.array([6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2])


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
    """One pass with every pattern at once; each kind is then told apart on the few matching cells only."""
    text = pc.utf8_upper(pc.utf8_normalize(column, form="NFKC"))
    hits = _rows(text, _ANY)
    cells = pc.take(text, pa.array(hits, type=pa.int64()))
    findings = [Finding(first_row + int(hits[r]), name, kind) for kind, pattern in _PATTERNS.items()
                for r in _rows(cells, pattern)]
    for row, cell in zip(hits, cells.to_pylist()):
        numbers = ["".join(m.groups()) for m in _TWELVE.finditer(cell)]
        kinds = {CodeKind.MY_NUMBER if is_my_number(n) else CodeKind.DRIVING_LICENCE for n in numbers}
        findings.extend(Finding(first_row + int(row), name, kind) for kind in sorted(kinds, key=lambda k: k.value))
    return sorted(findings, key=lambda f: (f.row, f.kind.value))


def _rows(text: pa.Array | pa.ChunkedArray, pattern: str) -> np.ndarray:
    hits = pc.match_substring_regex(text, pattern).fill_null(False)
    return np.flatnonzero(hits.to_numpy(zero_copy_only=False))
