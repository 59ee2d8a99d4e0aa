"""Each operator: given a column and params, then the new column; and its validation errors."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pyarrow as pa
import pytest

from services.transform.domain.errors import TransformError
from services.transform.domain.operators import (
    BirthdateToAgeParams, CodingParams, DeleteParams, GeneralizeAddressParams, OperatorContext, RandomTokenParams,
    SuppressRareParams, TruncatePostalCodeParams, registry,
)
from services.transform.domain.operators.base import merge_counts


def run(name, values, params, context, arrow_type=None):
    result = registry.get(name).apply(pa.array(values, type=arrow_type), params, context)
    return None if result is None else result.to_pylist()


def test_delete(op_context):
    assert run("delete", ["a"], DeleteParams(), op_context) is None


@pytest.mark.parametrize("level, output, given, then", [
    ("prefecture", "name", "東京都千代田区千代田1-1", "東京都"),
    ("prefecture", "name", "京都府京都市中京区", "京都府"),
    ("prefecture", "code", "沖縄県那覇市泉崎1", "47"),
    ("municipality", "name", "三重県四日市市諏訪町1", "三重県四日市市"),
    ("municipality", "name", "広島県廿日市市下平良1", "広島県廿日市市"),
    ("municipality", "name", "北海道札幌市中央区北1条西2", "北海道札幌市"),
    ("municipality", "name", "長野県北佐久郡軽井沢町1", "長野県北佐久郡軽井沢町"),
    ("municipality", "name", "岐阜県郡上市八幡町1", "岐阜県郡上市"),
    ("municipality", "code", "東京都千代田区千代田1-1", "131016"),
    ("municipality", "code", "長野県北佐久郡軽井沢町1", None),
    ("prefecture", "name", "London", None),
])
def test_generalize_address(op_context, level, output, given, then):
    assert run("generalize_address", [given], GeneralizeAddressParams(level, output), op_context) == [then]


@pytest.mark.parametrize("born, band, then", [
    (dt.date(1990, 4, 1), 1, 34),
    (dt.date(1990, 4, 2), 1, 33),
    (dt.date(2000, 2, 29), 1, 24),
    (dt.date(1990, 4, 2), 5, "30-34"),
    (dt.date(1990, 4, 1), 10, "30-39"),
    (dt.date(2030, 1, 1), 1, None),
    (None, 5, None),
])
def test_birthdate_to_age(op_context, born, band, then):
    assert run("birthdate_to_age", [born], BirthdateToAgeParams(band), op_context, pa.date32()) == [then]


@pytest.mark.parametrize("given, digits, then", [
    ("100-0001", 3, "100"), ("1000001", 5, "10000"), ("〒100-0001", 1, "1"), ("10000", 3, None), (None, 3, None),
])
def test_truncate_postal_code(op_context, given, digits, then):
    assert run("truncate_postal_code", [given], TruncatePostalCodeParams(digits), op_context) == [then]


@pytest.mark.parametrize("name, values, threshold, then", [
    ("top_code", [10, 89, 90, 105, None], 90, ["10", "89", "90+", "90+", None]),
    ("bottom_code", [5, 10, 11], 10, ["<=10", "<=10", "11"]),
    ("top_code", [1.5, 99.5], 99.5, ["1.5", "99.5+"]),
])
def test_threshold_coding(op_context, name, values, threshold, then):
    assert run(name, values, CodingParams(threshold=threshold), op_context) == then


def test_percentile_is_bound_from_merged_partial_summaries(op_context):
    operator = registry.get("top_code")
    parts = [operator.partial_summary(pa.array(list(range(1, 51)))), operator.partial_summary(pa.array(list(range(51, 101))))]
    params = operator.bind(CodingParams(percentile=90), merge_counts(parts))
    assert params.threshold == 90
    assert run("top_code", [89, 90], params, op_context) == ["89", "90+"]


def test_suppress_rare_uses_global_counts(op_context):
    operator = registry.get("suppress_rare")
    parts = [operator.partial_summary(pa.array(["a", "b", "c"])), operator.partial_summary(pa.array(["a", "b", None]))]
    params = operator.bind(SuppressRareParams(min_count=2), merge_counts(parts))
    assert run("suppress_rare", ["a", "b", "c", None], params, op_context) == ["a", "b", "*", None]


def test_consistent_tokens_link_within_a_key_only(op_context):
    params = RandomTokenParams(consistent_within_dataset=True)
    first = run("random_token", ["0001", "0002", "0001", None, "x" * 40], params, op_context)
    other_key = OperatorContext(b"o" * 32, op_context.reference_date)
    assert first[0] == first[2] != first[1] and first[3] is None
    assert all(re.fullmatch("[0-9a-f]{32}", t) for t in first if t)
    assert run("random_token", ["0001"], params, other_key) != first[:1]


def test_fresh_tokens_differ_per_row_and_partition(op_context):
    params = RandomTokenParams(consistent_within_dataset=False)
    tokens = run("random_token", ["0001", "0001"], params, op_context)
    other = run("random_token", ["0001", "0001"], params, OperatorContext(op_context.secret_key, op_context.reference_date, 1))
    assert len(set(tokens + other)) == 4


def test_pandas_in_pandas_out(op_context):
    series = pd.Series(["100-0001", "1500002"], index=[7, 9], name="郵便番号")
    result = registry.get("truncate_postal_code").apply(series, TruncatePostalCodeParams(3), op_context)
    assert isinstance(result, pd.Series) and result.to_dict() == {7: "100", 9: "150"}


@pytest.mark.parametrize("name, params, message", [
    ("delete", RandomTokenParams(), "delete: params must be DeleteParams"),
    ("random_token", RandomTokenParams(consistent_within_dataset="yes"), "param consistent_within_dataset"),
    ("generalize_address", GeneralizeAddressParams(level="town"), "param level"),
    ("generalize_address", GeneralizeAddressParams(output="kana"), "param output"),
    ("birthdate_to_age", BirthdateToAgeParams(band_width=0), "param band_width"),
    ("truncate_postal_code", TruncatePostalCodeParams(digits=7), "param digits"),
    ("top_code", CodingParams(), "param threshold or percentile"),
    ("bottom_code", CodingParams(percentile=100), "param percentile"),
    ("suppress_rare", SuppressRareParams(min_count=1), "param min_count"),
])
def test_validate_names_the_param(name, params, message):
    with pytest.raises(TransformError, match=message):
        registry.get(name).validate(params)


@pytest.mark.parametrize("name, values, params, message", [
    ("top_code", [1], CodingParams(percentile=90), "bind the global summary first"),
    ("suppress_rare", ["a"], SuppressRareParams(), "bind the global summary first"),
    ("top_code", ["1"], CodingParams(threshold=1), "must be numeric"),
    ("birthdate_to_age", ["1990-01-01"], BirthdateToAgeParams(), "must be a date column"),
])
def test_apply_refuses_what_it_cannot_do(op_context, name, values, params, message):
    with pytest.raises(TransformError, match=message):
        run(name, values, params, op_context)


def test_short_key_is_refused():
    with pytest.raises(TransformError, match="secret_key"):
        run("random_token", ["a"], RandomTokenParams(), OperatorContext(b"short", dt.date(2024, 1, 1)))


def test_registry():
    assert set(registry.names()) >= {"delete", "random_token", "generalize_address", "birthdate_to_age",
                                     "truncate_postal_code", "top_code", "bottom_code", "suppress_rare"}
    with pytest.raises(TransformError, match="unknown operator nope"):
        registry.get("nope")
    with pytest.raises(TransformError, match="already registered"):
        registry.register(registry.get("delete"))
