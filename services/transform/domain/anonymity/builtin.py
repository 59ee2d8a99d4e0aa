"""Built-in hierarchies for common quasi-identifiers of municipal files."""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Iterable

from .errors import HierarchyError
from .hierarchy import SUPPRESSED, Hierarchy
from .municipalities import MUNICIPALITIES, REGIONS

_POSTAL_CODE = re.compile(r"^\d{3}-?\d{4}$")
MAX_DAYS = 200 * 366


def age_hierarchy(column: str = "age", maximum: int = 120, widths: tuple[int, ...] = (5, 10, 20)) -> Hierarchy:
    """Ages 0..maximum into intervals of growing width (each width a multiple of the previous)."""
    rows = [[str(age)] + [f"{age // w * w}-{age // w * w + w - 1}" for w in widths] + [SUPPRESSED] for age in range(maximum + 1)]
    return Hierarchy.from_rows(column, rows)


def date_hierarchy(column: str, first: date, last: date) -> Hierarchy:
    """ISO dates from first to last → month → year → '*'."""
    days = (last - first).days + 1
    if not 0 < days <= MAX_DAYS:
        raise HierarchyError(f"date range of column '{column}' must be non-empty and at most 200 years")
    rows = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        iso = day.isoformat()
        rows.append([iso, iso[:7], iso[:4], SUPPRESSED])
    return Hierarchy.from_rows(column, rows)


def postal_code_hierarchy(column: str, codes: Iterable[str]) -> Hierarchy:
    """Japanese postal codes (NNN-NNNN or NNNNNNN) keeping 5, 3 and 1 leading digits, then '*'."""
    rows = []
    for code in sorted(set(codes)):
        if not _POSTAL_CODE.match(code):
            raise HierarchyError(f"column '{column}' holds a value that is not a 7-digit postal code")
        rows.append([code] + [_mask_digits(code, keep) for keep in (5, 3, 1)] + [SUPPRESSED])
    return Hierarchy.from_rows(column, rows)


def _mask_digits(code: str, keep: int) -> str:
    """Replaces all digits after the first `keep` by '*', leaving any hyphen in place."""
    seen, out = 0, []
    for char in code:
        if char.isdigit():
            seen += 1
            out.append(char if seen <= keep else "*")
        else:
            out.append(char)
    return "".join(out)


def address_hierarchy(column: str = "address") -> Hierarchy:
    """Municipality (prefecture name + municipality name) → prefecture → region → '*'."""
    rows = [[f"{prefecture}{name}", prefecture, REGIONS[prefecture], SUPPRESSED] for _, prefecture, name in MUNICIPALITIES]
    return Hierarchy.from_rows(column, rows)
