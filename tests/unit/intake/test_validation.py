"""Checks of an extract against its register entry: given bytes (in any blocks), then the problems."""
import pytest

from services.intake.domain import Item
from services.intake.validation import ExtractValidator, InvalidExtract, check_header

ITEMS = (Item("宛名番号", "CODE", "LINKING_CODE"), Item("年齢", "INTEGER", "QUASI_IDENTIFIER"),
         Item("性別", "CODE", "QUASI_IDENTIFIER"), Item("備考", "TEXT", "OTHER"))
REQUESTED = ("年齢", "性別")


def _validate(data: bytes, rows: int, encoding="utf-8", block=7, max_problems=20) -> int:
    validator = ExtractValidator(ITEMS, REQUESTED, encoding, max_problems)
    for start in range(0, len(data), block):
        validator.feed(data[start:start + block])
    return validator.finish(rows)


@pytest.mark.parametrize("data, rows, encoding", [
    ("宛名番号,年齢,性別\nA1,20,1\nA2,,2\n".encode(), 2, "utf-8"),
    ("年齢,性別,備考\n 30 ,1,\"複数行の\n備考, 引用\"\"付き\"\n４５,2,x\n".encode(), 2, "utf-8"),
    ("\ufeff年齢,性別\r\n-3,1\r\n".encode(), 1, "utf-8-sig"),
    ("年齢,性別\n20,1\n".encode("cp932"), 1, "cp932"),
    ("年齢,性別\n20,1".encode(), 1, "utf-8"),                                       # no final line break
])
def test_a_valid_extract_gives_its_row_count(data, rows, encoding):
    for block in (1, 5, 1 << 20):
        assert _validate(data, rows, encoding, block) == rows


@pytest.mark.parametrize("data, rows, encoding, problems", [
    ("年齢,性別\n20,1\nx,2\n30\n".encode(), 3, "utf-8",
     ["row 2, column 年齢: not an integer", "row 3: 1 columns, 2 expected"]),
    ("年齢,性別,性別,氏名\n".encode(), 0, "utf-8",
     ["header, column #4: not an item of the register entry", "header, column #3: appears more than once"]),
    ("年齢\n1\n".encode(), 1, "utf-8", ["header, column 性別: requested but missing"]),
    ("年齢,性別\n1,1\n".encode() + b"2,\xff\n", 2, "utf-8", ["line 3: not valid utf-8"]),
    ("年齢,性別\n".encode("cp932") + b"1,\x82\n", 1, "cp932", ["line 2: not valid cp932"]),
    ("年齢,性別\n1,1\n".encode(), 5, "utf-8", ["header.row_count: 5 declared, 1 rows received"]),
    (b"", 0, "utf-8", ["header: the extract has no header line"]),
    (b"\n1,2\n", 1, "utf-8", ["header: the header line names no column"]),
])
def test_problems_name_lines_rows_and_columns(data, rows, encoding, problems):
    with pytest.raises(InvalidExtract) as caught:
        _validate(data, rows, encoding)
    assert [str(p) for p in caught.value.problems] == problems


def test_no_value_is_ever_echoed_and_problems_stop_at_the_limit():
    data = "年齢,性別\n".encode() + "秘密の値,1\n".encode() * 100
    with pytest.raises(InvalidExtract) as caught:
        _validate(data, 100, max_problems=4)
    assert len(caught.value.problems) == 4 and "秘密" not in str(caught.value)


def test_header_rules_alone():
    assert check_header(["年齢", "性別"], ITEMS, REQUESTED) == []
    assert [p.column for p in check_header(["性別"], ITEMS, REQUESTED)] == ["年齢"]
