"""The transform process is killed in the middle of a job and started again: the dataset is
created exactly once and nothing is lost."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pyarrow.parquet as pq

from services.cli import sample, scenario
from services.cli.clients import contract_request
from services.common.artifacts import DATASETS
from services.common.artifacts.minio_store import MinioStore
from services.common.bus.base import wait_until
from services.common.bus.kafka import KafkaBus
from services.common.bus.topics import DATASET_CREATED
from services.common.pb.sakusei.v1 import events_pb2, transform_pb2

ROWS = 600_000


def _job_state(operator, contract_id):
    try:
        return operator.job(contract_id)
    except grpc.RpcError:
        return None


def test_a_job_killed_midway_is_redone_and_announced_once(infra, services, client_for, tmp_path):
    tag = uuid.uuid4().hex[:8]
    municipality, operator = client_for("municipality:131016"), client_for("operator")
    entry = municipality.register_file(sample.register_request(f"{tag}-file", "住民基本台帳ファイル", ROWS))
    now = datetime.now(timezone.utc)
    contract = operator.conclude_contract(contract_request(
        f"{tag}-contract", "acme-research", "研究", [("131016", entry.file_id, sample.REQUESTED)],
        now - timedelta(minutes=1), now + timedelta(days=1), 2))
    assert wait_until(lambda: any(r.contract_id == contract.contract_id for r in municipality.data_requests()), 60)
    request = next(r for r in municipality.data_requests() if r.contract_id == contract.contract_id)
    extract = tmp_path / "extract.csv"
    sample.write_extract(extract, ROWS, seed=7)
    municipality.push_extract(request.request_id, extract, "utf-8", ROWS)

    running = transform_pb2.JOB_STATE_RUNNING
    assert wait_until(lambda: getattr(_job_state(operator, contract.contract_id), "state", None) == running, 120)
    services.kill("transform")
    buyer = client_for("business:acme-research")
    assert not [d for d in buyer.datasets() if d.contract_id == contract.contract_id]

    services.start("transform")
    assert wait_until(lambda: [d for d in buyer.datasets() if d.contract_id == contract.contract_id], 300, 0.5), \
        services.log_tail("transform")
    job = operator.job(contract.contract_id)
    assert job.state == transform_pb2.JOB_STATE_SUCCEEDED and job.attempts == 2 and job.rows_out == ROWS

    dataset = next(d for d in buyer.datasets() if d.contract_id == contract.contract_id)
    assert len([d for d in buyer.datasets() if d.contract_id == contract.contract_id]) == 1
    created = [k for k in MinioStore(infra.s3).list(DATASETS) if dataset.dataset_id in k and k.endswith(".parquet")]
    assert created == [f"dataset/{dataset.dataset_id}.parquet"]
    bus = KafkaBus(infra.kafka_bootstrap, client_id=f"test-{tag}")
    created = [events_pb2.EventEnvelope.FromString(v).dataset_created for v in bus.read_all(DATASET_CREATED, 20)]
    bus.close()
    assert [c.dataset_id for c in created].count(dataset.dataset_id) == 1
    package = tmp_path / "pulled.zip"
    buyer.pull(dataset.dataset_id, package)
    assert pq.read_metadata(scenario.unpack(package)).num_rows == ROWS
