"""The report (JSON and HTML) and every error message hold no personal value, key or processing parameter."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from services.transform.domain.errors import TransformError
from services.transform.domain.formats import convert_to_parquet, read_csv
from services.transform.domain.method_information import MethodInformation
from services.transform.domain.policy import apply_policy, bind_summaries, derive_policy, merge_summaries, partial_summaries
from services.transform.domain.report import build_report, render_html
from services.transform.domain.scanner import scan
from services.transform.domain.verification import Verifier, value_hashes

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from bench.municipal_files import ENTRY, municipal_table, planted_rows, write_municipal_file  # noqa: E402

REQUESTED = {"宛名番号": "linked_token", "生年月日": "age_band_5", "性別": "as_is", "住所": "prefecture",
             "給付額": "top_pct_95", "要介護度": "rare_50", "備考": "as_is"}


@pytest.fixture
def canonical(tmp_path) -> pa.Table:
    path = tmp_path / "m.csv"
    write_municipal_file(str(path), 2000, "cp932", seed=3, plant=6)
    convert_to_parquet(read_csv(str(path), "cp932"), ENTRY, str(tmp_path / "c.parquet"))
    return pa.parquet.read_table(tmp_path / "c.parquet")


def personal_values(table: pa.Table) -> set[str]:
    names = {"宛名番号", "氏名", "カナ", "住所", "個人番号", "被保険者番号", "備考"}
    return {v for n in names for v in table.column(n).to_pylist() if v and len(v) > 3}


def report_of(canonical, op_context):
    policy = derive_policy(ENTRY, REQUESTED)
    bound = bind_summaries(policy, merge_summaries([partial_summaries(canonical, policy, op_context)]))
    verifier = Verifier(bound, ENTRY, {"宛名番号": value_hashes(canonical.column("宛名番号"))})
    verifier.update(apply_policy(canonical, bound, op_context))
    return build_report(verifier.finish(), ENTRY), bound


def test_planted_codes_are_found_and_fail_measure_2(canonical, op_context):
    report, _ = report_of(canonical, op_context)
    assert {f.row - 1 for f in scan(canonical.select(["備考"]))} == set(planted_rows(2000, 6, seed=3))
    assert [m["status"] for m in report["measures"]][:4] == ["pass", "fail", "pass", "pass"]


def test_report_holds_no_personal_value_key_or_parameter(canonical, op_context):
    report, bound = report_of(canonical, op_context)
    page = render_html(report)
    text = json.dumps(report, ensure_ascii=False) + page
    threshold = bound.rules_for("給付額")[0].params.threshold
    assert not [v for v in personal_values(canonical) if v in text]
    assert op_context.secret_key.hex() not in text and f"{threshold:g}" not in text
    assert "<script" not in page and "http" not in page.replace("http://www.w3.org/2000/svg", "")
    assert page.count("<rect") == 8


def test_method_information_is_kept_apart(canonical, op_context):
    report, bound = report_of(canonical, op_context)
    info = MethodInformation("job-1", bound, op_context.secret_key, op_context.reference_date, seed=7)
    assert op_context.secret_key.hex() not in repr(info) and "secret_key" not in json.dumps(report)


def test_errors_hold_no_personal_value(tmp_path):
    table = municipal_table(50, seed=5, plant=2)
    values = personal_values(table)
    path = tmp_path / "m.csv"
    text = "\n".join(",".join(row) for row in [table.column_names] + [list(r.values()) for r in table.to_pylist()])
    path.write_bytes(text.encode("cp932") + b"\n" + "壊れた,行\n".encode("cp932") + b"\x82\xff\n")
    with pytest.raises(TransformError) as caught:
        list(read_csv(str(path), "cp932"))
    assert not [v for v in values | {"壊れた"} if v in str(caught.value) + repr(caught.value.problems)]


def test_generator_is_deterministic_and_its_my_numbers_valid():
    first, second = municipal_table(100, seed=9), municipal_table(100, seed=9)
    assert first.equals(second) and not first.equals(municipal_table(100, seed=10))
    numbers = np.array([list(map(int, n)) for n in first.column("個人番号").to_pylist()])
    assert not scan(first.select(["備考"]))
    assert all(f.kind.value == "my_number" for f in scan(first.select(["個人番号"])))
    assert len(scan(first.select(["個人番号"]))) == len(numbers)


def test_codes_hidden_in_free_text_are_counted_in_the_extract_and_reported_gone_when_deleted(canonical, op_context):
    policy = derive_policy(ENTRY, {k: v for k, v in REQUESTED.items() if k != "備考"})
    bound = bind_summaries(policy, merge_summaries([partial_summaries(canonical, policy, op_context)]))
    verifier = Verifier(bound, ENTRY, {"宛名番号": value_hashes(canonical.column("宛名番号"))})
    verifier.note_extract(canonical)
    verifier.update(apply_policy(canonical, bound, op_context))
    report = build_report(verifier.finish(), ENTRY)
    assert sum(report["codes_in_extract"].values()) == 6 and report["codes_in_output"] == {}
    assert report["measures"][1]["status"] == "pass"
    assert "codes hidden in the extract's free text: 6" in " ".join(report["measures"][1]["evidence"])
