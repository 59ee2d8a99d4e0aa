"""The Dask job and the CLI on small files: partitioned runs, formats, and operator errors."""
import json
import random

import pandas as pd
import pytest
from distributed import Client

from services.transform import cli
from services.transform.anonymity_job import AnonymizationJob, run
from services.transform.domain.anonymity import KAnonymity, load_hierarchies

QI = ["a", "b", "c"]


@pytest.fixture(scope="module")
def client():
    with Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0") as client:
        yield client


@pytest.fixture
def source(tmp_path, small_hierarchy_rows):
    rng = random.Random(7)
    rows = [[rng.choice([r[0] for r in small_hierarchy_rows[q]]) for q in QI] + [f"n{i}"] for i in range(400)]
    path = tmp_path / "in.csv"
    path.write_text("a;b;c;note\n" + "".join(";".join(r) + "\n" for r in rows))
    return path


def released(path):
    return pd.read_csv(path, sep=";", dtype=str) if path.suffix == ".csv" else pd.read_parquet(path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_spilled_partitions_give_the_release_of_one_kept_block(client, source, hierarchy_dir, tmp_path, suffix):
    hierarchies = load_hierarchies(hierarchy_dir, QI)
    reports, frames = [], []
    for block_bytes, keep_bytes in [(1 << 20, 1 << 20), (300, 0)]:
        target = tmp_path / f"out-{block_bytes}{suffix}"
        job = AnonymizationJob(
            source, target, tuple(QI), hierarchies, (KAnonymity(4),), 1.0, block_bytes=block_bytes, keep_bytes=keep_bytes
        )
        report = run(client, job)
        assert set(report.pop("seconds")) == {"count", "search", "write"}
        reports.append(report)
        frames.append(released(target).astype(str))
    assert reports[0] == reports[1]
    pd.testing.assert_frame_equal(frames[0], frames[1])
    sizes = frames[0][frames[0]["a"] != "*"].groupby(QI).size()
    assert sizes.min() >= 4 and reports[0]["verified_k"] == sizes.min()
    assert list(frames[0]["note"]) == [f"n{i}" for i in range(400)]
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]


def run_cli(*args):
    return cli.main(["anonymize", *map(str, args)])


def test_cli_writes_output_and_report(source, hierarchy_dir, tmp_path):
    out, report = tmp_path / "out.csv", tmp_path / "report.json"
    code = run_cli(
        source, "--hierarchies", hierarchy_dir, "--qi", "a,b,c", "--k", 3, "--l-diversity", "c:2", "--out", out, "--report", report
    )
    assert code == 0
    summary = json.loads(report.read_text())
    assert summary["k"] >= 3 and summary["l"] >= 2 and set(summary["transformation"]) == set(QI)
    assert len(released(out)) == 400


def test_cli_writes_a_page_with_the_class_size_chart_for_an_html_report(source, hierarchy_dir, tmp_path):
    out, page = tmp_path / "out.csv", tmp_path / "report.html"
    assert run_cli(source, "--hierarchies", hierarchy_dir, "--qi", "a,b,c", "--k", 3, "--out", out, "--report", page) == 0
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<script" not in text
    assert 'aria-label="classes by size"' in text
    assert "<rect" in text
    assert "prosecutor risk" in text
    assert "n1" not in text and "b1" not in text


def test_cli_refuses_a_report_in_a_missing_directory_before_running(source, hierarchy_dir, tmp_path, capsys):
    out = tmp_path / "out.csv"
    code = run_cli(source, "--hierarchies", hierarchy_dir, "--qi", "a,b,c", "--k", 3, "--out", out,
                   "--report", tmp_path / "missing" / "r.json")
    assert code == 2 and "'--report'" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize(
    "change, named",
    [
        (lambda s: s.replace("b1", "secret-b1", 1), "'b'"),
        (lambda s: s.replace("a;b;c;note", "a;bb;c;note"), "'b'"),
        (lambda s: s.replace("n7\n", "n7;secret-extra\n"), "'input'"),
    ],
    ids=["value outside hierarchy", "missing column", "malformed row"],
)
def test_cli_errors_name_the_column_and_leave_no_output(source, hierarchy_dir, tmp_path, capsys, change, named):
    source.write_text(change(source.read_text()))
    out = tmp_path / "out.parquet"
    code = run_cli(source, "--hierarchies", hierarchy_dir, "--qi", "a,b,c", "--k", 3, "--out", out)
    error = capsys.readouterr().err
    assert code == 2 and named in error and "secret" not in error
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("out", ".out"))) == []


@pytest.mark.parametrize(
    "args, named",
    [
        (["--k", 0], "'k'"),
        (["--k", 2, "--l-diversity", "c"], "'--l-diversity'"),
        (["--k", 2, "--suppression-limit", 1.5], "'suppression-limit'"),
        (["--k", 2, "--qi", "a,a"], "'--qi'"),
    ],
)
def test_cli_argument_errors_exit_2(source, hierarchy_dir, tmp_path, capsys, args, named):
    base = ["--hierarchies", hierarchy_dir, "--out", tmp_path / "o.csv"]
    if "--qi" not in args:
        base += ["--qi", "a,b,c"]
    assert run_cli(source, *base, *args) == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()
