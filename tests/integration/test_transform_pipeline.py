"""Art. 11 measures 1–4 applied and verified on a two-worker Dask cluster, each municipality's
file separately, from synthetic extracts in mixed era formats with full-width digits."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

from services.cli import sample
from services.common.artifacts import EXTRACTS, object_key
from services.common.artifacts.local import LocalStore
from services.common.errors import DomainError, FailedPrecondition
from services.transform import partitions, pipeline
from services.transform.domain.operators import OperatorContext
from services.transform.domain.policy import derive_policy
from services.transform.domain.errors import TransformError
from services.transform.domain.measure_five import AnonymityTarget
from services.transform.domain.schema import ItemRole, ItemType, RecordItem, RegisterEntry

ENTRY_ITEMS = tuple(RecordItem(name, ItemType[common.removeprefix("ITEM_TYPE_")],
                               ItemRole[role.removeprefix("ITEM_ROLE_")])
                    for name, common, role in ((n, sample.common_pb2.ItemType.Name(t),
                                                sample.common_pb2.ItemRole.Name(r)) for n, t, r in sample.ITEMS))


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster, Client(cluster) as dask_client:
        yield dask_client


@pytest.fixture
def store(tmp_path):
    local = LocalStore(tmp_path / "artifacts")
    local.ensure_buckets()
    return local


def _source(store, tmp_path, code: str, rows: int, seed: int, plant: int = 0, requested=None, declared=None):
    path = tmp_path / f"{code}-{seed}.csv"
    sample.write_extract(path, rows, seed, municipality=code, plant=plant)
    key = object_key("extract", f"r-{code}", f"e-{seed}", suffix=".csv")
    store.put_file(EXTRACTS, key, path)
    url, options = store.dask_location(EXTRACTS, key)
    return pipeline.Source(f"e-{seed}", code, f"f-{code}", url, options, "utf-8",
                           rows if declared is None else declared,
                           RegisterEntry(code, "国民健康保険被保険者ファイル", ENTRY_ITEMS),
                           dict(sample.REQUESTED if requested is None else requested))


def test_three_files_processed_separately_then_combined(client, store, tmp_path):
    sources = [_source(store, tmp_path, code, 3000, seed) for seed, code in enumerate(sample.PLACES)]
    out = tmp_path / "dataset.parquet"
    result = pipeline.create_dataset(client, sources, out, dt.date(2026, 11, 23), window=4)

    table = pq.read_table(out)
    assert result.rows == table.num_rows == 9000
    assert table.column_names == list(sample.REQUESTED)
    assert set(pc.unique(table["住所"]).to_pylist()) == {"東京都", "北海道", "大阪府"}
    assert all(re.fullmatch(r"\d+-\d+", band) for band in pc.unique(table["生年月日"]).to_pylist())
    assert set(pc.unique(table["保険料"]).to_pylist()) >= {"80000+"}
    tokens = table["宛名番号"].to_pylist()
    assert len(set(tokens)) == 9000 and not any(t.startswith(("00", "01", "02")) and t.isdigit() for t in tokens)
    for source in result.sources:
        statuses = {m.measure: m.status for m in source.verification.measures}
        assert statuses[1] == statuses[2] == statuses[3] == statuses[4] == "pass", source.verification.measures
        assert source.verification.k >= 1 and source.verification.rows == 3000


def test_identification_codes_hidden_in_remarks_fail_the_job_when_remarks_are_kept(client, store, tmp_path):
    requested = {**sample.REQUESTED, "備考": "as_is"}
    source = _source(store, tmp_path, "131016", 500, 7, plant=6, requested=requested)
    with pytest.raises(FailedPrecondition, match="measure 2"):
        pipeline.create_dataset(client, [source], tmp_path / "out.parquet", dt.date(2026, 11, 23))


def test_a_date_that_does_not_exist_fails_the_job_naming_row_and_column_only(client, store, tmp_path):
    path = tmp_path / "bad.csv"
    sample.write_extract(path, 50, 3)
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[31].split(",")
    secret_name = cells[1]
    cells[4] = "昭和64年1月8日"  # the Showa era ended on 7 January 1989
    lines[31] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    key = object_key("extract", "r-bad", "e-bad", suffix=".csv")
    store.put_file(EXTRACTS, key, path)
    url, options = store.dask_location(EXTRACTS, key)
    source = pipeline.Source("e-bad", "131016", "f", url, options, "utf-8", 50,
                             RegisterEntry("131016", "file", ENTRY_ITEMS), dict(sample.REQUESTED))
    with pytest.raises(TransformError) as caught:
        pipeline.create_dataset(client, [source], tmp_path / "out.parquet", dt.date(2026, 11, 23))
    assert "row 31 生年月日" in str(caught.value)
    assert "昭和64" not in str(caught.value) and secret_name not in str(caught.value)


def test_a_row_count_other_than_declared_fails_the_job(client, store, tmp_path):
    source = _source(store, tmp_path, "011002", 100, 4, declared=101)
    with pytest.raises(DomainError, match="100 data rows found, 101 declared"):
        pipeline.create_dataset(client, [source], tmp_path / "out.parquet", dt.date(2026, 11, 23))


def test_linked_tokens_differ_between_jobs_so_no_mapping_outlives_a_job(client, store, tmp_path):
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    pipeline.create_dataset(client, [_source(store, tmp_path, "131016", 200, 5)], first, dt.date(2026, 11, 23))
    pipeline.create_dataset(client, [_source(store, tmp_path, "131016", 200, 5)], second, dt.date(2026, 11, 23))
    a, b = pq.read_table(first), pq.read_table(second)
    assert a["宛名番号"].to_pylist() != b["宛名番号"].to_pylist()
    assert a.drop(["宛名番号"]).equals(b.drop(["宛名番号"]))
    assert hashlib.sha256(first.read_bytes()).digest() != hashlib.sha256(second.read_bytes()).digest()


def test_a_partition_whose_strings_arrive_in_chunks_is_processed():
    rows = [[f"{i:010d}", "氏名", "東京都千代田区1丁目", "", "1980-01-01", "1", "1000", ""] for i in range(6)]
    names = [name for name, _, _ in sample.ITEMS]
    chunks = [pa.table(dict(zip(names, map(list, zip(*part))))) for part in (rows[:3], rows[3:])]
    table = pa.concat_tables(chunks)
    entry = RegisterEntry("131016", "file", ENTRY_ITEMS)
    policy = derive_policy(entry, dict(sample.REQUESTED))
    context = OperatorContext(b"k" * 32, dt.date(2026, 11, 23), 0)
    assert partitions.survey(table, entry, policy, context).rows == 6
    assert partitions.process(table, entry, policy, context, {}).table.num_rows == 6


def test_a_k_target_releases_each_file_k_anonymous_with_generalized_quasi_identifiers(client, store, tmp_path):
    target = AnonymityTarget(k=25, suppression_limit=0.05)
    sources = [dataclasses.replace(_source(store, tmp_path, code, 400, seed), anonymity=target)
               for seed, code in enumerate(("131016", "011002"))]
    out = tmp_path / "dataset.parquet"
    result = pipeline.create_dataset(client, sources, out, dt.date(2026, 11, 23), window=2)

    table = pq.read_table(out)
    assert table.num_rows == 800 and table.column_names == list(sample.REQUESTED)
    for source, seed_rows in zip(result.sources, (table.slice(0, 400), table.slice(400, 400))):
        statuses = {m.measure: m.status for m in source.verification.measures}
        assert set(statuses.values()) == {"pass"}, source.verification.measures
        assert source.verification.k >= 25 and 0 <= source.release["suppressed"] <= 20
        keys = seed_rows.select(["住所", "生年月日", "性別"]).to_pylist()
        kept = [tuple(k.values()) for k in keys if set(k.values()) != {"*"}]
        assert min(Counter(kept).values()) >= 25
        assert len(kept) == 400 - source.release["suppressed"]


def test_an_l_target_on_a_released_item_is_met_and_verified_per_class(client, store, tmp_path):
    target = AnonymityTarget(k=10, suppression_limit=0.05, distinct_l=(("保険料", 3),))
    source = dataclasses.replace(_source(store, tmp_path, "131016", 400, 5), anonymity=target)
    result = pipeline.create_dataset(client, [source], tmp_path / "dataset.parquet", dt.date(2026, 11, 23))
    verification = result.sources[0].verification
    assert verification.k >= 10 and verification.l == {"保険料": 3}
    assert {m.measure: m.status for m in verification.measures}[5] == "pass"


def test_a_k_target_no_generalization_can_meet_fails_the_job_and_writes_nothing(client, store, tmp_path):
    source = dataclasses.replace(_source(store, tmp_path, "271004", 30, 2), anonymity=AnonymityTarget(k=40))
    with pytest.raises(FailedPrecondition, match="measure 5"):
        pipeline.create_dataset(client, [source], tmp_path / "out.parquet", dt.date(2026, 11, 23))
