"""`sakusei anonymize` as an analyst runs it on Adult: a verified k-anonymous file and its report."""
from __future__ import annotations

import json

import pyarrow.compute as pc
import pyarrow.parquet as pq

from services.cli import main
from tests.conftest import SHARED

QIS = "age,sex,race,marital-status,education,native-country,workclass,occupation"


def test_the_command_writes_a_k_anonymous_file_and_a_report(tmp_path):
    out, report = tmp_path / "adult-k5.parquet", tmp_path / "report.json"
    code = main(["anonymize", str(SHARED / "data" / "adult.csv"), "--hierarchies", str(SHARED / "data"),
                 "--qi", QIS, "--k", "5", "--suppression-limit", "1.0", "--sep", ";", "--out", str(out),
                 "--report", str(report)])
    assert code == 0
    figures = json.loads(report.read_text())
    assert figures["k"] >= 5 and figures["granularity"] >= 0.7589
    table = pq.read_table(out)
    assert table.num_rows == 30162
    sizes = table.group_by(QIS.split(",")).aggregate([([], "count_all")])
    kept = pc.filter(sizes, pc.not_equal(sizes["age"], "*"))
    assert pc.min(kept["count_all"]).as_py() >= 5


def test_a_column_missing_from_the_input_is_named_and_nothing_is_written(tmp_path, capsys):
    out = tmp_path / "never.parquet"
    code = main(["anonymize", str(SHARED / "data" / "adult.csv"), "--hierarchies", str(SHARED / "data"),
                 "--qi", "age,blood-type", "--k", "5", "--sep", ";", "--out", str(out)])
    assert code == 2 and "blood-type" in capsys.readouterr().err and not out.exists()
