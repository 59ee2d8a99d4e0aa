"""Scanner: My Number check digits, full-width digits, each kind of code, nothing in clean text or tokens."""
from __future__ import annotations

import pyarrow as pa
import pytest

from services.transform.domain.scanner import CodeKind, is_my_number, my_number_check_digit, scan

VALID = "123456789018"
WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize("number, valid", [
    (VALID, True), ("123456789012", False), ("000000000000", True), ("12345678901", False), ("12345678901a", False),
])
def test_my_number_check_digit(number, valid):
    assert is_my_number(number) == valid


def test_check_digit_remainder_at_most_one_gives_zero():
    assert my_number_check_digit("00000000000") == 0


def kinds(text: str) -> list[CodeKind]:
    return [f.kind for f in scan(pa.table({"備考": [text]}))]


@pytest.mark.parametrize("text, then", [
    (f"個人番号{VALID}です", [CodeKind.MY_NUMBER]),
    (f"個人番号{VALID.translate(WIDE)}", [CodeKind.MY_NUMBER]),
    ("番号 1234-5678-9018", [CodeKind.MY_NUMBER]),
    ("免許 123456789012", [CodeKind.DRIVING_LICENCE]),
    (f"{VALID} と 123456789012", [CodeKind.DRIVING_LICENCE, CodeKind.MY_NUMBER]),
    ("年金 1234-567890", [CodeKind.PENSION_NUMBER]),
    ("旅券 TK1234567", [CodeKind.PASSPORT]),
    ("旅券 ｔｋ１２３４５６７", [CodeKind.PASSPORT]),
    ("被保険者番号 12345678", [CodeKind.HEALTH_INSURANCE]),
    ("連絡先 090-1234-5678", [CodeKind.PHONE]),
    ("連絡先 09012345678", [CodeKind.PHONE]),
    ("TEL 03-1234-5678", [CodeKind.PHONE]),
    ("０４５－６７１－２１２１", [CodeKind.PHONE]),
    ("0422(12)3456", [CodeKind.PHONE]),
    ("特記事項なし", []),
    ("1234567890123", []),
    ("a1b2c3d41234567890180123456789ab", []),
    ("令和5年4月1日 100-0001", []),
])
def test_kinds(text, then):
    assert kinds(text) == then


def test_findings_give_row_and_column_never_the_value():
    table = pa.table({"a": ["x", None, f"n {VALID}"], "b": [1, 2, 3], "c": ["090-1234-5678", "", ""]})
    findings = scan(table, first_row=101)
    assert [(f.row, f.column, f.kind) for f in findings] == [(103, "a", CodeKind.MY_NUMBER), (101, "c", CodeKind.PHONE)]
    assert VALID not in repr(findings)


@pytest.mark.parametrize("filler", [["特記事項なし"], [f"x{i}" for i in range(5000)]])
def test_repetitive_and_varied_columns_give_the_same_rows(filler):
    cells = (filler * 5000)[:5000]
    cells[10], cells[4000], cells[4001] = f"番号{VALID}", "090-1234-5678", f"番号{VALID}"
    findings = scan(pa.table({"r": cells}))
    assert [(f.row, f.kind) for f in findings] == [(11, CodeKind.MY_NUMBER), (4001, CodeKind.PHONE), (4002, CodeKind.MY_NUMBER)]
