"""derive_policy from register roles and requested degrees; applying a policy with global summaries."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from services.transform.domain.errors import TransformError
from services.transform.domain.operators import (
    BirthdateToAgeParams, CodingParams, DeleteParams, GeneralizeAddressParams, RandomTokenParams, SuppressRareParams,
)
from services.transform.domain.policy import (
    Policy, Rule, apply_policy, bind_summaries, derive_policy, merge_summaries, partial_summaries,
)


def rules(policy: Policy, column: str) -> list[tuple[str, object]]:
    return [(r.operator, r.params) for r in policy.rules_for(column)]


@pytest.mark.parametrize("column, degree, then", [
    ("個人番号", "as_is", [("delete", DeleteParams())]),
    ("個人番号", None, [("delete", DeleteParams())]),
    ("宛名番号", None, [("delete", DeleteParams())]),
    ("宛名番号", "linked_token", [("random_token", RandomTokenParams(True))]),
    ("宛名番号", "token", [("random_token", RandomTokenParams(False))]),
    ("氏名", "as_is", [("delete", DeleteParams())]),
    ("氏名", None, [("delete", DeleteParams())]),
    ("氏名", "token", [("random_token", RandomTokenParams(False))]),
    ("住所", "prefecture", [("generalize_address", GeneralizeAddressParams("prefecture"))]),
    ("住所", "municipality", [("generalize_address", GeneralizeAddressParams("municipality"))]),
    ("生年月日", "age", [("birthdate_to_age", BirthdateToAgeParams(1))]),
    ("生年月日", "age_band_5", [("birthdate_to_age", BirthdateToAgeParams(5))]),
    ("性別", "as_is", []),
    ("性別", "rare_10", [("suppress_rare", SuppressRareParams(10))]),
    ("給付額", "top_code_90", [("top_code", CodingParams(threshold=90.0))]),
    ("給付額", "bottom_pct_1", [("bottom_code", CodingParams(percentile=1.0))]),
    ("給付額", "as_is", []),
    ("備考", None, [("delete", DeleteParams())]),
])
def test_derive_policy(file_entry, column, degree, then):
    requested = {} if degree is None else {column: degree}
    assert rules(derive_policy(file_entry, requested), column) == then


def test_degrees_chain_in_order(file_entry):
    policy = derive_policy(file_entry, {"生年月日": "age+top_code_90"})
    assert [op for op, _ in rules(policy, "生年月日")] == ["birthdate_to_age", "top_code"]


@pytest.mark.parametrize("requested, message", [
    ({"電話": "as_is"}, "requested items not in the register entry: 電話"),
    ({"住所": "town"}, "column 住所: unknown degree town"),
    ({"住所": "age"}, "column 住所: degree age does not apply to a text item"),
    ({"給付額": "postal_3"}, "degree postal_3 does not apply to a integer item"),
    ({"給付額": "top_code_90+top_code_80"}, "degree top_code_80 does not apply to a text item"),
    ({"生年月日": "age_band_0"}, "param band_width"),
    ({"給付額": "top_pct_90+rare_5"}, "more than one global-summary rule for column 給付額"),
])
def test_derive_policy_errors(file_entry, requested, message):
    with pytest.raises(TransformError, match=message):
        derive_policy(file_entry, requested)


def test_summaries_are_merged_over_partitions_then_bound(op_context):
    policy = Policy((Rule("年齢", "top_code", CodingParams(percentile=50)), Rule("区分", "suppress_rare", SuppressRareParams(2))))
    partitions = [pa.table({"年齢": [1, 2], "区分": ["a", "b"]}), pa.table({"年齢": [3, 4], "区分": ["a", "c"]})]
    bound = bind_summaries(policy, merge_summaries(partial_summaries(p, policy, op_context) for p in partitions))
    out = [apply_policy(p, bound, op_context).to_pydict() for p in partitions]
    assert out == [{"年齢": ["1", "2+"], "区分": ["a", "*"]}, {"年齢": ["2+", "2+"], "区分": ["a", "*"]}]


def test_summary_is_taken_after_earlier_rules(op_context):
    policy = Policy((Rule("生年月日", "birthdate_to_age", BirthdateToAgeParams()),
                     Rule("生年月日", "top_code", CodingParams(percentile=50))))
    table = pa.table({"生年月日": pa.array([dt.date(2000, 1, 1), dt.date(1950, 1, 1)])})
    bound = bind_summaries(policy, merge_summaries([partial_summaries(table, policy, op_context)]))
    assert bound.rules[1].params.threshold == 24


def test_apply_policy_drops_deleted_and_keeps_unruled_columns(op_context):
    policy = Policy((Rule("氏名", "delete", DeleteParams()),))
    assert apply_policy(pa.table({"氏名": ["x"], "性別": ["男"]}), policy, op_context).column_names == ["性別"]


def test_bind_without_summary_is_refused():
    policy = Policy((Rule("年齢", "top_code", CodingParams(percentile=50)),))
    with pytest.raises(TransformError, match="column 年齢: no global summary"):
        bind_summaries(policy, {})
