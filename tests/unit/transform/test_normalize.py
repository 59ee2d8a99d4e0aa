"""Normalization to canonical typed Arrow: full-width input, numbers, codes, problems without values."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.transform.domain.errors import TransformError
from services.transform.domain.formats import convert_to_parquet, normalize_batch, normalize_text
from services.transform.domain.localgov import validate_codes
from services.transform.domain.schema import ItemRole, ItemType, RecordItem, RegisterEntry


def entry_of(item_type: ItemType) -> RegisterEntry:
    return RegisterEntry("131016", "f", (RecordItem("c", item_type, ItemRole.OTHER),))


def typed(item_type: ItemType, text: str | None, validators=None):
    batch = pa.RecordBatch.from_arrays([pa.array([text], type=pa.string())], names=["c"])
    result = normalize_batch(batch, entry_of(item_type), validators=validators)
    return result.batch.column(0)[0].as_py(), result.problem_count


@pytest.mark.parametrize("given, then", [
    ("ＡＢＣ１２３", "ABC123"),
    ("\u3000山田\u3000太郎 ", "山田 太郎"),
    ("ｻﾄｳ ﾀﾛｳ", "サトウ タロウ"),
    ("ｶﾞｯｺｳ", "ガッコウ"),
    ("東京都千代田区１－１", "東京都千代田区1-1"),
    ("", None),
    ("\u3000", None),
])
def test_text_is_nfkc_and_trimmed(given, then):
    assert normalize_text(pa.array([given]))[0].as_py() == then


@pytest.mark.parametrize("item_type, given, then, problems", [
    (ItemType.INTEGER, "１２３", 123, 0),
    (ItemType.INTEGER, "1,234,567", 1234567, 0),
    (ItemType.INTEGER, "-5", -5, 0),
    (ItemType.INTEGER, "12.5", None, 1),
    (ItemType.INTEGER, "百", None, 1),
    (ItemType.INTEGER, "9" * 19, None, 1),
    (ItemType.DECIMAL, "１２．５", 12.5, 0),
    (ItemType.DECIMAL, ".5", 0.5, 0),
    (ItemType.DECIMAL, "1.2.3", None, 1),
    (ItemType.DATE, "令和５年４月１日", dt.date(2023, 4, 1), 0),
    (ItemType.DATE, "2024-02-30", None, 1),
    (ItemType.CODE, "１３１０１６", "131016", 0),
    (ItemType.TEXT, None, None, 0),
])
def test_types(item_type, given, then, problems):
    assert typed(item_type, given) == (then, problems)


@pytest.mark.parametrize("given, then", [("131016", ("131016", 0)), ("131017", (None, 1)), (None, (None, 0))])
def test_code_validator(given, then):
    assert typed(ItemType.CODE, given, {"c": validate_codes}) == then


def test_code_validator_on_a_slice():
    codes = pa.array(["131017", "131016", "011002", "x"]).slice(1, 2)
    assert validate_codes(codes).to_pylist() == [True, True]


def test_problems_name_row_and_column_never_the_value():
    batch = pa.RecordBatch.from_arrays([pa.array(["1", "秘密の値", "3", "x"])], names=["c"])
    result = normalize_batch(batch, entry_of(ItemType.INTEGER), first_row=11, max_problems=1)
    assert result.problem_count == 2
    assert [(p.row, p.column) for p in result.problems] == [(12, "c")]
    assert "秘密の値" not in repr(result.problems)


def test_missing_column():
    batch = pa.RecordBatch.from_arrays([pa.array(["1"])], names=["other"])
    with pytest.raises(TransformError, match="columns missing from the file: c"):
        normalize_batch(batch, entry_of(ItemType.TEXT))


def test_convert_to_parquet_numbers_rows_across_batches(tmp_path):
    batches = [pa.RecordBatch.from_arrays([pa.array(v)], names=["c"]) for v in (["1", "2"], ["x", "4"])]
    seen = []
    result = convert_to_parquet(batches, entry_of(ItemType.INTEGER), str(tmp_path / "o.parquet"), observe=seen.append)
    assert (result.rows, result.problem_count, result.problems[0].row) == (4, 1, 3)
    assert pq.read_table(tmp_path / "o.parquet").column("c").to_pylist() == [1, 2, None, 4]
    assert [b.num_rows for b in seen] == [2, 2]
