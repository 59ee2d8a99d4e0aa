"""Vectorised date parsing: ISO, YYYY/MM/DD, YYYY年M月D日, YYYYMMDD and Japanese era dates.

Era dates are written `令和5年4月1日`, `平成元年1月8日` (元年 is year 1) or with one letter,
`R5.4.1`, `H31.4.30`. An era date must fall on or after its era's first day and before the next
era's first day, so `昭和64年1月8日` and `平成31年5月1日` are rejected.

Meiji is taken to start on 1868-01-25, the Gregorian date of 慶応4年1月1日 to which the era was
applied retroactively (the usual calendar-conversion choice). Meiji dates before 1873, when Japan
still used the lunisolar calendar, are read as if Gregorian.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ERAS = (  # (kanji, letter, first day)
    ("明治", "M", "1868-01-25"),
    ("大正", "T", "1912-07-30"),
    ("昭和", "S", "1926-12-25"),
    ("平成", "H", "1989-01-08"),
    ("令和", "R", "2019-05-01"),
)
_STARTS = np.array([e[2] for e in ERAS] + ["9999-12-31"], dtype="datetime64[D]")
_ERA_NAMES = pa.array([e[0] for e in ERAS] + [e[1] for e in ERAS])
_DATE = (
    r"^(?:(?P<era>明治|大正|昭和|平成|令和|[MTSHR])(?P<ey>元|\d{1,2})[年./-](?P<em>\d{1,2})[月./-](?P<ed>\d{1,2})日?"
    r"|(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
    r"|(?P<cy>\d{4})(?P<cm>\d{2})(?P<cd>\d{2}))$"
)
"""One pass for every form: an era date, a western date with separators, or YYYYMMDD."""


def parse_dates(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Parse normalized (NFKC, trimmed) strings; return date32 values and a mask of unparsable cells."""
    parts = pc.extract_regex(pc.utf8_upper(values), _DATE)
    matched = parts.is_valid().to_numpy(zero_copy_only=False)
    field = {name: pc.struct_field(parts, name) for name in parts.type.names}
    era_ok = matched & pc.not_equal(field["era"], "").fill_null(False).to_numpy(zero_copy_only=False)
    era_index = pc.index_in(field["era"], value_set=_ERA_NAMES).fill_null(0).to_numpy() % len(ERAS)
    era_year = _ints(pc.replace_substring(field["ey"], "元", "1"))
    year, month, day = (_ints(pc.binary_join_element_wise(*(field[n] for n in names), ""))
                        for names in (("y", "cy"), ("m", "cm", "em"), ("d", "cd", "ed")))
    year = np.where(era_ok, _STARTS[era_index].astype("datetime64[Y]").astype(int) + 1969 + era_year, year)
    dates, valid = _to_dates(year, month, day)
    in_era = (dates >= _STARTS[era_index]) & (dates < _STARTS[era_index + 1]) & (era_year >= 1)
    valid &= matched & np.where(era_ok, in_era, True)
    present = values.is_valid().to_numpy(zero_copy_only=False)
    result = pa.array(dates.astype("datetime64[D]"), type=pa.date32(), mask=~valid)
    return result, present & ~valid


def _ints(strings: pa.Array) -> np.ndarray:
    """Digits to integers; an empty or missing group is 0."""
    filled = pc.if_else(pc.equal(strings, ""), "0", strings).fill_null("0")
    return pc.cast(filled, pa.int64()).to_numpy()


def _to_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Build dates; a day past the month's end (2月30日) does not stay in its month and is invalid."""
    month_ok = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (year >= 1) & (year <= 9998)
    safe_year = np.where(month_ok, year, 1970)
    first = (safe_year - 1970) * 12 + np.where(month_ok, month - 1, 0)
    months = first.astype("datetime64[M]")
    dates = months.astype("datetime64[D]") + np.where(month_ok, day - 1, 0)
    return dates, month_ok & (dates.astype("datetime64[M]") == months)
