"""Preliminary processing at the municipality: given a source header and a request, then the columns kept."""
import pytest

from services.common.errors import InvalidArgument
from services.intake.domain import Item
from services.intake.preliminary import column_plan, prepare_file, prepare_rows

ITEMS = (Item("宛名番号", "CODE", "LINKING_CODE"), Item("氏名", "TEXT", "IDENTIFIER"),
         Item("個人番号", "CODE", "IDENTIFICATION_CODE"), Item("生年月日", "DATE", "QUASI_IDENTIFIER"),
         Item("性別", "CODE", "QUASI_IDENTIFIER"), Item("保険料", "INTEGER", "OTHER"))


@pytest.mark.parametrize("header, requested, kept", [
    (["宛名番号", "氏名", "個人番号", "生年月日", "性別", "保険料"], ["性別", "保険料"], [0, 4, 5]),
    (["保険料", "性別", "備考", "宛名番号"], ["性別", "保険料"], [3, 1, 0]),   # register order, extras dropped
    (["宛名番号", "生年月日"], ["生年月日"], [0, 1]),
])
def test_the_linking_code_and_requested_items_are_kept_in_register_order(header, requested, kept):
    assert column_plan(header, ITEMS, requested) == kept


@pytest.mark.parametrize("header, requested, field", [
    (["宛名番号", "性別"], ["性別", "保険料"], "source header: 保険料"),     # requested, missing
    (["性別", "保険料"], ["性別"], "source header: 宛名番号"),               # linking code missing
    (["宛名番号", "性別", "性別"], ["性別"], "source header: 性別"),         # ambiguous
    (["宛名番号", "性別"], ["職業"], "request.items: 職業"),                 # not in the register
])
def test_a_header_that_cannot_answer_the_request_names_the_column(header, requested, field):
    with pytest.raises(InvalidArgument) as caught:
        column_plan(header, ITEMS, requested)
    assert caught.value.field == field


def test_rows_are_cut_down_and_a_short_row_is_named_without_its_values():
    rows = [["宛名番号", "氏名", "性別"], ["A1", "佐藤", "1"], ["A2", "鈴木"]]
    out = prepare_rows(iter(rows), ITEMS, ["性別"])
    assert next(out) == ["宛名番号", "性別"] and next(out) == ["A1", "1"]
    with pytest.raises(InvalidArgument) as caught:
        next(out)
    assert caught.value.field == "source row 2" and "鈴木" not in str(caught.value)


def test_a_file_is_prepared_streaming_and_a_bad_one_leaves_no_output(tmp_path):
    source = tmp_path / "source.csv"
    source.write_bytes("宛名番号,氏名,性別\n".encode("cp932") + "A1,佐藤,1\n".encode("cp932") * 50_000)
    out = tmp_path / "out.csv"
    prepared = prepare_file(source, out, "cp932", ITEMS, ["性別"])
    assert (prepared.columns, prepared.rows) == (("宛名番号", "性別"), 50_000)
    assert out.read_text(encoding="utf-8").splitlines()[:2] == ["宛名番号,性別", "A1,1"]
    source.write_bytes("宛名番号,性別\n".encode("cp932") + b"A1,\x82\xff\n")
    broken = tmp_path / "broken.csv"
    with pytest.raises(InvalidArgument) as caught:
        prepare_file(source, broken, "cp932", ITEMS, ["性別"])
    assert caught.value.field == "source line 2" and not broken.exists()
    assert not list(tmp_path.glob("*.partial"))
