"""The path end to end on real infrastructure: push → Kafka → transform on Dask → MinIO →
delivery → pull, each service its own process, with one trace from the push to the pull. Each
municipality's remarks hide My Numbers and phone numbers; the processing report shows them found
in the extract and gone from the dataset."""
from __future__ import annotations

import json
import uuid

import pyarrow.parquet as pq

from services.cli import sample, scenario
from services.cli.clients import anonymity_target
from services.common.artifacts import DATASETS, DOCUMENTS, EXTRACTS, object_key
from services.common.artifacts.minio_store import MinioStore
from services.common.bus.kafka import KafkaBus
from services.common.bus.topics import AUDIT_RECORDED, DATASET_CREATED
from services.common.pb.sakusei.v1 import events_pb2


PLANTED, K = 4, 10


def _assert_report(store: MinioStore, dataset_id: str) -> None:
    """Each municipality's file was processed on its own, all five measures passed (k = 10 on
    each file), and the codes planted in its remarks were found in the extract and are not in the
    dataset."""
    report = json.loads(b"".join(store.read(DOCUMENTS, object_key("report", dataset_id, suffix=".json"))))
    assert sorted(s["municipality_code"] for s in report["sources"]) == sorted(scenario.MUNICIPALITIES)
    for source in report["sources"]:
        assert source["passed"] and source["rows"] == 300
        assert [m["status"] for m in source["measures"]] == ["pass"] * 5 and source["k"] >= K
        assert 0 <= source["measure_5"]["suppressed"] <= 15 and 0 < source["measure_5"]["granularity"] <= 1
        assert sum(source["codes_in_extract"].values()) == PLANTED and source["codes_in_output"] == {}
        assert set(source["codes_in_extract"]) <= {"my_number", "phone"}


def _spans(services) -> list[dict]:
    spans = []
    for path in services.root.glob("traces-*.jsonl"):
        spans += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return spans


def test_three_municipalities_to_one_business_on_real_infrastructure(infra, services, client_for, tmp_path):
    tag = uuid.uuid4().hex[:8]
    result = scenario.run(client_for, tmp_path, rows_per_file=300, say=print, timeout_s=180, tag=tag, plant=PLANTED,
                          anonymity=anonymity_target(K, 5.0))

    table = pq.read_table(result.dataset_path)
    assert table.num_rows == 900 == result.rows
    assert not set(sample.IDENTIFYING) & set(table.column_names)
    assert result.pulled_sha256 == result.sha256

    store = MinioStore(infra.s3)
    dataset_keys = [k for k in store.list(DATASETS, prefix="dataset/") if result.dataset_id in k]
    assert len(dataset_keys) == 1 and store.is_encrypted(DATASETS, dataset_keys[0])
    package_keys = [k for k in store.list(DATASETS, prefix="package/") if result.dataset_id in k]
    assert len(package_keys) == 1 and store.is_encrypted(DATASETS, package_keys[0])
    assert store.stat(DATASETS, package_keys[0]).sha256 == result.sha256
    requests = [r.request_id for code in scenario.MUNICIPALITIES
                for r in client_for(f"municipality:{code}").data_requests() if r.contract_id == result.contract_id]
    extract_keys = [k for r in requests for k in store.list(EXTRACTS, prefix=f"extract/{r}/")]
    assert len(extract_keys) == 3 and all(store.is_encrypted(EXTRACTS, k) for k in extract_keys)
    assert {store.stat(EXTRACTS, k).sha256 for k in extract_keys} == set(result.pushed.values())
    _assert_report(store, result.dataset_id)

    bus = KafkaBus(infra.kafka_bootstrap, client_id=f"test-{tag}")
    created = [events_pb2.EventEnvelope.FromString(v) for v in bus.read_all(DATASET_CREATED, timeout_s=20)]
    mine = [e for e in created if e.dataset_created.dataset_id == result.dataset_id]
    assert len(mine) == 1 and mine[0].key == result.dataset_id
    audits = [events_pb2.EventEnvelope.FromString(v).audit_recorded for v in bus.read_all(AUDIT_RECORDED, 20)]
    assert {a.service for a in audits if a.object_id == result.dataset_id} >= {"transform", "delivery"}
    bus.close()


def test_the_trace_of_the_last_push_reaches_the_pull(services, client_for, tmp_path):
    result = scenario.run(client_for, tmp_path, rows_per_file=50, municipalities=("131016", "011002"),
                          say=print, timeout_s=180, tag=uuid.uuid4().hex[:8])
    last_push = result.push_trace_ids["011002"]
    spans = _spans(services)
    in_trace = [s for s in spans if s["context"]["trace_id"] == "0x" + last_push]
    by_service = {s["resource"]["attributes"]["service.name"] for s in in_trace}
    assert by_service >= {"sakusei-intake", "sakusei-transform", "sakusei-delivery"}  # review reads the events too
    names = {s["name"] for s in in_trace}
    assert {"IntakeServicer.PushExtract", "consume extract_received", "create dataset",
            "consume dataset_created", "provide dataset"} <= names
    provide = next(s for s in in_trace if s["name"] == "provide dataset")
    assert any(link["context"]["trace_id"] == "0x" + result.pull_trace_id for link in provide["links"])
