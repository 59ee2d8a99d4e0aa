"""Readers: each encoding, BOM, invalid bytes by line, fixed-width layouts, xlsx, JSON Lines."""
from __future__ import annotations

import openpyxl
import pytest

from services.transform.domain.errors import TransformError
from services.transform.domain.formats import FieldSpec, Layout, read_csv, read_fixed_width, read_jsonl, read_xlsx

ROWS = [{"氏名": "山田　太郎", "年齢": "４２"}, {"氏名": "ｻﾄｳ", "年齢": "7"}]
CSV = "氏名,年齢\n山田　太郎,４２\nｻﾄｳ,7\n"


def rows(batches) -> list[dict]:
    return [row for batch in batches for row in batch.to_pylist()]


@pytest.mark.parametrize("declared, raw", [
    ("utf-8", CSV.encode("utf-8")),
    ("utf-8", b"\xef\xbb\xbf" + CSV.encode("utf-8")),
    ("utf-8-sig", b"\xef\xbb\xbf" + CSV.encode("utf-8")),
    ("cp932", CSV.encode("cp932")),
    ("shift_jis", CSV.encode("cp932")),
    ("cp932", CSV.replace("\n", "\r\n").encode("cp932")),
])
def test_csv_encodings(tmp_path, declared, raw):
    path = tmp_path / "f.csv"
    path.write_bytes(raw)
    assert rows(read_csv(str(path), declared)) == ROWS


def test_csv_streams_in_blocks(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(("a\n" + "".join(f"{i}\n" for i in range(1000))).encode())
    batches = list(read_csv(str(path), block_size=64))
    assert len(batches) > 10 and [r["a"] for r in rows(batches)] == [str(i) for i in range(1000)]


@pytest.mark.parametrize("bad_line", [2, 3, 4])
def test_invalid_cp932_bytes_name_the_line(tmp_path, bad_line):
    lines = [line.encode("cp932") for line in ("氏名,年齢", "山田,1", "佐藤,2", "鈴木,3")]
    lines[bad_line - 1] = b"\x82\xff,9"
    path = tmp_path / "f.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(TransformError) as caught:
        list(read_csv(str(path), "cp932"))
    assert [(p.row, p.reason) for p in caught.value.problems] == [(bad_line - 1, f"invalid cp932 bytes at line {bad_line}")]


def test_wrong_field_count_names_the_line_not_the_content(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("氏名,年齢\n山田,1\n秘密太郎,2,3\n", encoding="utf-8")
    with pytest.raises(TransformError) as caught:
        list(read_csv(str(path)))
    assert [p.row for p in caught.value.problems] == [2]
    assert "秘密太郎" not in str(caught.value)


def test_unsupported_encoding(tmp_path):
    with pytest.raises(TransformError, match="encoding 'euc-jp'"):
        list(read_csv(str(tmp_path / "f.csv"), "euc-jp"))


LAYOUT = Layout((FieldSpec("氏名", 0, 10), FieldSpec("年齢", 10, 3)), record_length=13)


def fixed(*records: str) -> bytes:
    return b"".join(r.encode("cp932") + b"\r\n" for r in records)


def test_fixed_width_counts_bytes_in_cp932(tmp_path):
    path = tmp_path / "f.dat"
    path.write_bytes(fixed("山田　太郎042", "ｻﾄｳ       7  "[:13]))
    assert rows(read_fixed_width(str(path), LAYOUT, batch_records=1)) == [
        {"氏名": "山田　太郎", "年齢": "042"}, {"氏名": "ｻﾄｳ       ", "年齢": "7  "}]


@pytest.mark.parametrize("layout, message", [
    (Layout((FieldSpec("a", 0, 14),), 13), "field a does not fit"),
    (Layout((FieldSpec("a", 10, 4),), 13), "field a does not fit"),
    (Layout((FieldSpec("a", 0, 5), FieldSpec("b", 4, 2)), 13), "field b overlaps"),
])
def test_layout_that_does_not_fit_is_refused(tmp_path, layout, message):
    path = tmp_path / "f.dat"
    path.write_bytes(fixed("山田　太郎042"))
    with pytest.raises(TransformError, match=message):
        list(read_fixed_width(str(path), layout))


@pytest.mark.parametrize("content, row", [
    (fixed("山田　太郎042") + b"short\r\n", 2),
    (fixed("山田　太郎042") + b"0123456789abcdef", 2),
])
def test_records_of_the_wrong_length(tmp_path, content, row):
    path = tmp_path / "f.dat"
    path.write_bytes(content)
    with pytest.raises(TransformError) as caught:
        list(read_fixed_width(str(path), LAYOUT))
    assert caught.value.problems[0].row == row


def test_layout_cutting_a_character_in_two(tmp_path):
    path = tmp_path / "f.dat"
    path.write_bytes(fixed("山田　太郎042"))
    layout = Layout((FieldSpec("a", 0, 3), FieldSpec("b", 3, 10)), 13)
    with pytest.raises(TransformError) as caught:
        list(read_fixed_width(str(path), layout))
    assert (caught.value.problems[0].row, caught.value.problems[0].column) == (1, "a")


@pytest.mark.parametrize("header, cells", [
    (("氏名", "年齢"), (("山田　太郎", 42), ("ｻﾄｳ", 7.0))),
    (("氏名", None, "年齢"), (("山田　太郎", "x", 42), ("ｻﾄｳ", None, 7.0))),
])
def test_xlsx(tmp_path, header, cells):
    workbook = openpyxl.Workbook()
    for row in (header, *cells):
        workbook.active.append(row)
    path = tmp_path / "f.xlsx"
    workbook.save(path)
    assert rows(read_xlsx(str(path), batch_rows=1)) == [{"氏名": "山田　太郎", "年齢": "42"}, {"氏名": "ｻﾄｳ", "年齢": "7"}]


def test_jsonl(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text('{"氏名": "山田　太郎", "年齢": "４２"}\n\n{"氏名": "ｻﾄｳ", "年齢": 7, "他": 1}\n', encoding="utf-8")
    assert rows(read_jsonl(str(path), ["氏名", "年齢"], batch_rows=1)) == ROWS


@pytest.mark.parametrize("bad", [b"[1, 2]", b"{broken", b'{"a": "\xff"}'])
def test_jsonl_bad_line(tmp_path, bad):
    path = tmp_path / "f.jsonl"
    path.write_bytes(b'{"a": "1"}\n' + bad + b"\n")
    with pytest.raises(TransformError) as caught:
        list(read_jsonl(str(path), ["a"]))
    assert caught.value.problems[0].row == 2
