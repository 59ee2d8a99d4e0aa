"""Verification: each measure passes on properly processed data and fails when it is not."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from services.transform.domain.operators import CodingParams, SuppressRareParams
from services.transform.domain.policy import (
    Policy, Rule, apply_policy, bind_summaries, derive_policy, merge_summaries, partial_summaries,
)
from services.transform.domain.verification import Verifier, token_shaped_hashes, value_hashes

MY_NUMBER = "123456789018"
REQUESTED = {"宛名番号": "linked_token", "住所": "prefecture", "生年月日": "age_band_10", "性別": "as_is", "給付額": "top_code_90"}


def source(rows: int = 12) -> pa.Table:
    return pa.table({
        "宛名番号": [f"{i:010d}" for i in range(rows)],
        "氏名": ["山田 太郎"] * rows,
        "住所": ["東京都千代田区千代田1-1"] * rows,
        "生年月日": pa.array([dt.date(1980 + i % 2, 1, 1) for i in range(rows)]),
        "性別": ["男", "女"] * (rows // 2),
        "個人番号": [MY_NUMBER] * rows,
        "給付額": list(range(80, 80 + rows)),
        "備考": ["特記事項なし"] * rows,
    })


def verify(table: pa.Table, policy: Policy, file_entry, hashes=None, k_target=None, parts: int = 1, l_targets=None):
    if hashes is None:
        hashes = {"宛名番号": value_hashes(source().column("宛名番号"))}
    verifiers = []
    for chunk in np.array_split(np.arange(table.num_rows), parts):
        verifier = Verifier(policy, file_entry, hashes, k_target, l_targets or {})
        verifier.update(table.take(pa.array(chunk)))
        verifiers.append(verifier)
    for other in verifiers[1:]:
        verifiers[0].merge(other)
    return verifiers[0].finish()


def processed(file_entry, op_context, requested=REQUESTED) -> tuple[pa.Table, Policy]:
    policy = derive_policy(file_entry, requested)
    return apply_policy(source(), policy, op_context), policy


def statuses(result) -> dict[int, str]:
    return {m.measure: m.status for m in result.measures}


@pytest.mark.parametrize("parts", [1, 3])
def test_properly_processed_data_passes(file_entry, op_context, parts):
    table, policy = processed(file_entry, op_context)
    result = verify(table, policy, file_entry, k_target=6, parts=parts)
    assert statuses(result) == {1: "pass", 2: "pass", 3: "pass", 4: "pass", 5: "pass"}
    assert (result.rows, result.k, result.class_sizes, result.risk_highest, result.risk_average) == (12, 6, {6: 2}, 1 / 6, 2 / 12)


def test_identifier_left_in_place_fails_measure_1(file_entry, op_context):
    table, policy = processed(file_entry, op_context)
    assert statuses(verify(table.append_column("氏名", source().column("氏名")), policy, file_entry))[1] == "fail"


def test_address_still_detailed_fails_measure_1(file_entry, op_context):
    table, policy = processed(file_entry, op_context)
    table = table.set_column(table.column_names.index("住所"), "住所", source().column("住所"))
    assert statuses(verify(table, policy, file_entry))[1] == "fail"


@pytest.mark.parametrize("extra", [("個人番号", [MY_NUMBER] * 12), ("備考", [f"番号{MY_NUMBER}"] + [""] * 11)])
def test_identification_code_fails_measure_2(file_entry, op_context, extra):
    table, policy = processed(file_entry, op_context)
    assert statuses(verify(table.append_column(extra[0], pa.array(extra[1])), policy, file_entry))[2] == "fail"


def test_linking_code_kept_fails_measure_3(file_entry, op_context):
    table, policy = processed(file_entry, op_context)
    table = table.set_column(table.column_names.index("宛名番号"), "宛名番号", source().column("宛名番号"))
    result = verify(table, policy, file_entry)
    assert statuses(result)[3] == "fail" and any("not tokens" in e for e in result.measures[2].evidence)


def test_token_equal_to_an_input_value_fails_measure_3(file_entry, op_context):
    table, policy = processed(file_entry, op_context)
    hashes = {"宛名番号": value_hashes(table.column("宛名番号"))}
    assert statuses(verify(table, policy, file_entry, hashes))[3] == "fail"


def test_only_token_shaped_input_values_are_kept_for_the_collision_check(file_entry, op_context):
    table, policy = processed(file_entry, op_context)
    assert len(token_shaped_hashes(source().column("宛名番号"))) == 0
    shaped = token_shaped_hashes(pa.concat_arrays([source().column("宛名番号").combine_chunks(),
                                                   table.column("宛名番号").combine_chunks()[:3]]))
    assert len(shaped) == 3
    assert statuses(verify(table, policy, file_entry, {"宛名番号": shaped}))[3] == "fail"


def test_linking_code_without_input_hashes_fails_measure_3(file_entry, op_context):
    table, policy = processed(file_entry, op_context)
    assert statuses(verify(table, policy, file_entry, hashes={}))[3] == "fail"


def test_value_beyond_top_code_bound_fails_measure_4(file_entry, op_context):
    table, policy = processed(file_entry, op_context)
    table = table.set_column(table.column_names.index("給付額"), "給付額", pa.array([str(v) for v in range(80, 92)]))
    assert statuses(verify(table, policy, file_entry))[4] == "fail"


def test_rare_category_fails_measure_4(file_entry, op_context):
    policy = Policy(derive_policy(file_entry, REQUESTED).rules + (Rule("性別", "suppress_rare", SuppressRareParams(7)),))
    bound = bind_summaries(policy, merge_summaries([partial_summaries(source(), policy, op_context)]))
    table = apply_policy(source(), bound, op_context)
    assert statuses(verify(table, bound, file_entry))[4] == "pass"
    unsuppressed = table.set_column(table.column_names.index("性別"), "性別", source().column("性別"))
    result = verify(unsuppressed, bound, file_entry)
    assert statuses(result)[4] == "fail" and "性別: 2 categories below the threshold" in result.measures[3].evidence


def test_small_classes_fail_measure_5_against_a_target(file_entry, op_context):
    table, policy = processed(file_entry, op_context, REQUESTED | {"生年月日": "age"})
    result = verify(table, policy, file_entry, k_target=7)
    assert statuses(result)[5] == "fail" and result.k == 6


def test_records_suppressed_in_every_quasi_identifier_belong_to_no_class(file_entry, op_context):
    table, policy = processed(file_entry, op_context, REQUESTED | {"生年月日": "age"})
    quasi = ["住所", "生年月日", "性別"]
    suppressed = table.cast(pa.schema([pa.field(n, pa.string()) if n in quasi else table.schema.field(n)
                                       for n in table.column_names]))
    rows = pa.array([i < 6 for i in range(12)])
    for name in quasi:
        column = suppressed.column(name)
        suppressed = suppressed.set_column(suppressed.column_names.index(name), name,
                                           pa.compute.if_else(rows, "*", column))
    result = verify(suppressed, policy, file_entry, k_target=3)
    assert statuses(result)[1] == statuses(result)[5] == "pass" and result.k == 3
    assert "records suppressed: 6" in result.measures[4].evidence


@pytest.mark.parametrize("parts", [1, 3])
def test_distinct_l_is_counted_per_class_across_partitions(file_entry, op_context, parts):
    table, policy = processed(file_entry, op_context, REQUESTED | {"生年月日": "age"})
    varied = table.set_column(table.column_names.index("給付額"), "給付額", pa.array([str(i // 4) for i in range(12)]))
    result = verify(varied, policy, file_entry, k_target=6, parts=parts, l_targets={"給付額": 2})
    assert statuses(result)[5] == "pass" and result.l == {"給付額": 2}
    uniform = varied.set_column(varied.column_names.index("給付額"), "給付額", pa.array(["1"] * 12))
    result = verify(uniform, policy, file_entry, k_target=6, parts=parts, l_targets={"給付額": 2})
    assert statuses(result)[5] == "fail" and result.l == {"給付額": 1}
    assert "給付額: a class with 1 distinct values, l = 2 wanted" in result.measures[4].evidence


def test_measure_5_is_informative_without_a_target(file_entry, op_context):
    table, policy = processed(file_entry, op_context)
    assert statuses(verify(table, policy, file_entry))[5] == "info"


def test_suppressed_share(file_entry, op_context):
    policy = Policy((Rule("性別", "suppress_rare", SuppressRareParams(2, frozenset({"男"}))),))
    result = verify(apply_policy(pa.table({"性別": ["男", "男", "女", "女"]}), policy, op_context), policy, file_entry, hashes={})
    assert result.suppressed_rows_pct == 50.0


def test_bounds_checked_with_bound_percentile(file_entry, op_context):
    policy = Policy((Rule("給付額", "top_code", CodingParams(threshold=85.0)),))
    table = apply_policy(pa.table({"給付額": list(range(80, 92))}), policy, op_context)
    assert statuses(verify(table, policy, file_entry, hashes={}))[4] == "pass"


@pytest.mark.parametrize("column, measure", [("氏名", 1), ("宛名番号", 3)])
def test_numeric_identifier_or_linking_code_left_in_place_fails(file_entry, op_context, column, measure):
    table, policy = processed(file_entry, op_context)
    table = table.drop_columns([c for c in [column] if c in table.column_names]).append_column(column, pa.array(range(12)))
    assert statuses(verify(table, Policy(()), file_entry))[measure] == "fail"
