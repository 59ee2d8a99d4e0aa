"""A leaked sample names its recipient: 10 % of the rows, re-sorted, two columns dropped, 20 recipients."""
from __future__ import annotations

import io
import random

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from services.common.errors import InvalidArgument
from services.delivery.domain import trace
from services.delivery.domain.fingerprint import fingerprint

KEY = bytes(range(32))
RECIPIENTS = [f"business-{i:02d}" for i in range(20)]


@pytest.fixture(scope="module")
def copies(dataset):
    return {r: fingerprint(dataset, KEY, "d1", r) for r in RECIPIENTS}


def _leak(copy: pa.Table, dropped: list[str], share: float, seed: int) -> pa.Table:
    rng = random.Random(seed)
    kept = [c for c in copy.column_names if c not in dropped]
    rows = rng.sample(range(copy.num_rows), int(copy.num_rows * share))
    return copy.select(kept).take(rows).sort_by([(kept[-1], "descending")])


def _verdict(leaked: pa.Table, dataset: pa.Table, copies) -> trace.Verdict:
    columns = trace.shared_columns(leaked, dataset.column_names)
    scores = trace.trace(trace.row_keys(leaked, columns),
                         {r: trace.row_keys(c, columns) for r, c in copies.items()}, trace.row_keys(dataset, columns))
    return trace.verdict(scores, leaked.num_rows, columns)


@pytest.mark.parametrize("recipient", RECIPIENTS)
def test_a_ten_percent_resorted_sample_without_two_columns_names_its_recipient(dataset, copies, recipient):
    index = RECIPIENTS.index(recipient)
    dropped = [["保険料", "給付額"], ["性別", "受診日数"], ["生年月日", "地域"]][index % 3]
    verdict = _verdict(_leak(copies[recipient], dropped, 0.10, seed=index), dataset, copies)
    assert verdict.recipient == recipient
    assert verdict.confidence > 0.999999 and verdict.p_value < 1e-20
    assert verdict.scores[0].recipient == recipient and verdict.scores[1].confidence < 1e-6


@pytest.mark.parametrize("given, then_named", [
    ("the unmarked dataset", False),
    ("two recipients' rows mixed", False),
    ("a 2 % sample", True),
])
def test_what_is_not_one_copy_names_nobody(dataset, copies, given, then_named):
    if given == "the unmarked dataset":
        leaked = _leak(dataset, [], 0.10, seed=1)
    elif given == "two recipients' rows mixed":
        leaked = pa.concat_tables([_leak(copies[RECIPIENTS[0]], [], 0.05, 2),
                                   _leak(copies[RECIPIENTS[1]], [], 0.05, 3)])
    else:
        leaked = _leak(copies[RECIPIENTS[5]], ["保険料"], 0.02, seed=4)
    verdict = _verdict(leaked, dataset, copies)
    assert bool(verdict.recipient) is then_named
    assert verdict.conclusion.startswith("the file comes from" if then_named else "no recipient")


def test_only_anchors_and_one_carrier_carry_no_mark(dataset, copies):
    leaked = _leak(copies[RECIPIENTS[3]], ["生年月日", "給付額", "受診日数"], 0.5, seed=5)
    assert _verdict(leaked, dataset, copies).recipient == ""


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _csv(table: pa.Table, encoding: str) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink)
    return sink.getvalue().decode("utf-8").encode(encoding)


@pytest.mark.parametrize("given", ["parquet", "utf-8", "cp932"])
def test_leaked_files_are_read_as_parquet_or_csv(dataset, given):
    table = dataset.slice(0, 20).select(["性別", "生年月日"])
    data = _parquet(table) if given == "parquet" else _csv(table, given)
    read = trace.read_leaked(data)
    assert read.column_names == ["性別", "生年月日"] and read.column("生年月日").to_pylist() == \
        table.column("生年月日").to_pylist()


@pytest.mark.parametrize("data, words", [
    (b"\xff\xfe\x00garbage\x81\x00", "neither"),
    (b"PAR1 not really", "Parquet"),
    ("a,b\n1\n".encode(), "as many fields"),
    ("a,a\n1,2\n".encode(), "distinct"),
    ("only-a-header\n".encode(), "at least one row"),
])
def test_what_is_not_a_table_is_an_invalid_argument(data, words):
    with pytest.raises(InvalidArgument, match=words):
        trace.read_leaked(data)


def test_a_file_with_columns_the_dataset_lacks_is_refused(dataset):
    with pytest.raises(InvalidArgument, match="not items"):
        trace.shared_columns(pa.table({"氏名": ["x"]}), dataset.column_names)
