"""Blocks of an extract: split at line starts, the header read once, each block parsed as text."""
from __future__ import annotations

import pyarrow as pa
import pytest

from services.transform.blocks import UnreadableBlock, plan


def _write(path, lines: list[str], encoding: str = "utf-8", bom: bool = False) -> str:
    data = ("\n".join(lines) + "\n").encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return str(path)


@pytest.mark.parametrize("encoding, bom", [("utf-8", False), ("utf-8-sig", True), ("cp932", False)])
def test_blocks_cover_every_record_once_in_order(tmp_path, encoding, bom):
    rows = [f"{i:06d},山田{i},東京都千代田区" for i in range(2_000)]
    url = _write(tmp_path / "e.csv", ["宛名番号,氏名,住所", *rows], "utf-8" if bom else encoding, bom)
    blocks = plan(url, {}, encoding, block_bytes=4_096)
    assert len(blocks) > 5 and all(b.columns == ("宛名番号", "氏名", "住所") for b in blocks)
    table = pa.concat_tables(b.read() for b in blocks)
    assert table.column("宛名番号").to_pylist() == [f"{i:06d}" for i in range(2_000)]
    assert table.column("氏名")[1999].as_py() == "山田1999" and table.schema.field("宛名番号").type == pa.string()


def test_only_the_asked_columns_are_read(tmp_path):
    url = _write(tmp_path / "e.csv", ["a,b,c", "1,2,3", "4,,6"])
    [block] = plan(url, {}, "utf-8")
    assert block.read(("c",)).column_names == ["c"] and block.read().column("b").to_pylist() == ["2", ""]


def test_bytes_invalid_in_the_declared_encoding_are_refused_without_a_value(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes("宛名番号,氏名\n000001,".encode("cp932") + b"\x82\xff\xfe\n")
    [block] = plan(str(path), {}, "cp932")
    with pytest.raises(UnreadableBlock, match="not valid in the declared encoding"):
        block.read()


def test_a_row_with_more_cells_than_the_header_is_refused_without_quoting_it(tmp_path):
    url = _write(tmp_path / "e.csv", ["宛名番号,氏名", "000001,山田太郎", "000002,鈴木花子,余分"])
    [block] = plan(url, {}, "utf-8")
    with pytest.raises(UnreadableBlock) as caught:
        block.read()
    assert "鈴木" not in str(caught.value) and "header's columns" in str(caught.value)
