"""Date parsing: every era, both sides of each boundary, impossible dates, full-width input."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from services.transform.domain.formats.dates import parse_dates
from services.transform.domain.formats.normalize import normalize_text


def parse(text: str) -> dt.date | None:
    dates, bad = parse_dates(normalize_text(pa.array([text])))
    assert bad[0] == (dates[0].as_py() is None)
    return dates[0].as_py()


@pytest.mark.parametrize("given, then", [
    ("2024-04-01", dt.date(2024, 4, 1)),
    ("2024/4/1", dt.date(2024, 4, 1)),
    ("2024年4月1日", dt.date(2024, 4, 1)),
    ("20240401", dt.date(2024, 4, 1)),
    ("令和5年4月1日", dt.date(2023, 4, 1)),
    ("R5.4.1", dt.date(2023, 4, 1)),
    ("r5.4.1", dt.date(2023, 4, 1)),
    ("Ｒ５．４．１", dt.date(2023, 4, 1)),
    ("令和５年４月１日", dt.date(2023, 4, 1)),
    ("㍻元年1月8日", dt.date(1989, 1, 8)),
    ("H31.4.30", dt.date(2019, 4, 30)),
    ("S50.1.2", dt.date(1975, 1, 2)),
    ("T10.3.3", dt.date(1921, 3, 3)),
    ("M40.3.3", dt.date(1907, 3, 3)),
    ("明治元年1月25日", dt.date(1868, 1, 25)),
])
def test_formats(given, then):
    assert parse(given) == then


@pytest.mark.parametrize("given, then", [
    ("明治元年1月24日", None),
    ("明治45年7月29日", dt.date(1912, 7, 29)),
    ("明治45年7月30日", None),
    ("大正元年7月29日", None),
    ("大正元年7月30日", dt.date(1912, 7, 30)),
    ("大正15年12月24日", dt.date(1926, 12, 24)),
    ("大正15年12月25日", None),
    ("昭和元年12月24日", None),
    ("昭和元年12月25日", dt.date(1926, 12, 25)),
    ("昭和64年1月7日", dt.date(1989, 1, 7)),
    ("昭和64年1月8日", None),
    ("平成元年1月7日", None),
    ("平成元年1月8日", dt.date(1989, 1, 8)),
    ("平成31年4月30日", dt.date(2019, 4, 30)),
    ("平成31年5月1日", None),
    ("令和元年4月30日", None),
    ("令和元年5月1日", dt.date(2019, 5, 1)),
])
def test_era_boundaries(given, then):
    assert parse(given) == then


@pytest.mark.parametrize("given", ["2023-02-29", "2024-02-30", "令和5年2月30日", "2024-13-01", "2024-04-31",
                                   "R0.4.1", "2024-04-00", "昭和", "X5.4.1", "1.2.3"])
def test_impossible_dates_are_rejected(given):
    assert parse(given) is None


def test_null_is_not_a_problem():
    dates, bad = parse_dates(pa.array([None], type=pa.string()))
    assert dates[0].as_py() is None and not bad[0]
