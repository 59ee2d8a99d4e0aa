"""The proposal path on real infrastructure, each service its own process: register entries reach
review over Kafka, a proposal across three municipalities is approved and contracted, its documents
sit encrypted in MinIO, and the contract's data requests reach every municipality, whose extracts
become the business's dataset."""
from __future__ import annotations

import uuid

from services.cli import sample, scenario
from services.common.artifacts import DOCUMENTS
from services.common.artifacts.minio_store import MinioStore
from services.common.bus.base import wait_until
from services.common.bus.kafka import KafkaBus
from services.common.bus.topics import CONTRACT_CONCLUDED
from services.common.pb.sakusei.v1 import events_pb2


def test_a_proposal_across_three_municipalities_becomes_a_dataset(infra, services, client_for, tmp_path):
    tag = uuid.uuid4().hex[:8]
    files = {code: client_for(f"municipality:{code}").register_file(
        sample.register_request(f"{tag}-{code}", "国民健康保険被保険者ファイル", 400)).file_id
        for code in scenario.MUNICIPALITIES}
    business = f"lab-{tag}"
    contract = scenario.approve_proposal_path(client_for, files, business, say=print, timeout_s=60, tag=tag)
    assert contract.proposal_id and {t.file_id for t in contract.targets} == set(files.values())

    buyer = client_for(f"business:{business}")
    proposal = buyer.proposal(contract.proposal_id)
    store = MinioStore(infra.s3)
    keys = [a.artifact.key for a in proposal.attachments] + [buyer.notice(proposal.proposal_id).artifact.key]
    assert all(store.is_encrypted(DOCUMENTS, key) for key in keys)

    bus = KafkaBus(infra.kafka_bootstrap, client_id=f"test-{tag}")

    def announced() -> list[str]:
        events = [events_pb2.EventEnvelope.FromString(v) for v in bus.read_all(CONTRACT_CONCLUDED, timeout_s=20)]
        return [e.key for e in events if e.contract_concluded.contract.proposal_id == proposal.proposal_id]

    assert wait_until(lambda: announced() == [contract.contract_id], 60, 1)
    bus.close()

    for index, code in enumerate(scenario.MUNICIPALITIES):
        _push_extract(client_for(f"municipality:{code}"), code, contract.contract_id, tmp_path / f"{code}.csv", index)
    assert wait_until(lambda: any(d.contract_id == contract.contract_id for d in buyer.datasets()), 180, 0.5)


def _push_extract(municipality, code: str, contract_id: str, path, seed: int) -> None:
    """Answers the municipality's data request of the contract with a synthetic extract."""
    def mine():
        return [r for r in municipality.data_requests(open_only=True) if r.contract_id == contract_id]

    assert wait_until(lambda: bool(mine()), 120, 0.2)
    sample.write_extract(path, 400, seed, municipality=code)
    municipality.push_extract(mine()[0].request_id, path, "utf-8", 400)
