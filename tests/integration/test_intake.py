"""Intake as its own process on the real Kafka and MinIO: three municipalities answer one
contract's requests; one push is cut in the middle and resumed, one is corrupt and refused with
nothing stored, and the receipt records match what arrived."""
from __future__ import annotations

import hashlib
import threading
import uuid

import grpc
import pytest

from services.cli import municipality as municipality_cli
from services.cli import sample
from services.cli.clients import PlatformClient, actor_token
from services.common.artifacts import EXTRACTS
from services.common.artifacts.minio_store import MinioStore
from services.common.bus import new_envelope
from services.common.bus.base import wait_until
from services.common.bus.kafka import KafkaBus
from services.common.bus.topics import CONTRACT_CONCLUDED, DATA_REQUEST_ANSWERED, EXTRACT_RECEIVED
from services.common.pb.sakusei.v1 import common_pb2, events_pb2, intake_pb2, review_pb2
from services.intake.uploads import DEFAULT_PART_SIZE
from tests.integration.processes import ServiceProcesses, own_consumer_groups

CHIYODA, SAPPORO, OSAKA = "131016", "011002", "271004"
ROWS = 400_000  # about 24 MB: three parts


@pytest.fixture
def intake(infra, keys, issuer, tmp_path):
    running = ServiceProcesses(tmp_path, {**infra.env, **own_consumer_groups(),
                                          "SAKUSEI_TOKEN_PUBLIC_KEY": str(keys[1])})
    made: list[PlatformClient] = []

    def client(actor: str) -> PlatformClient:
        made.append(PlatformClient(running.addresses, actor_token(issuer, actor)))
        return made[-1]

    try:
        running.start("intake")
        running.client = client
        yield running
    except Exception:
        print(running.log_tail("intake"))
        raise
    finally:
        for each in made:
            each.close()
        running.stop()


def _conclude(bus: KafkaBus, files: dict[str, str]) -> str:
    """Announces a concluded contract on Kafka, as review does."""
    contract = review_pb2.Contract(
        contract_id=str(uuid.uuid4()), business_id="acme-research", purpose="保険料と年齢層の地域比較研究",
        targets=[review_pb2.ContractTarget(municipality_code=code, file_id=file_id, items=list(sample.REQUESTED))
                 for code, file_id in files.items()],
        conditions=review_pb2.ContractConditions(safety_measures="施錠管理、アクセス記録、持出し禁止"))
    bus.publish(new_envelope(events_pb2.ContractConcluded(contract=contract), key=contract.contract_id,
                             producer="review"))
    return contract.contract_id


def _watch_for(client: PlatformClient, contract_id: str) -> intake_pb2.DataRequest:
    """Watches until the contract's request arrives (the watch is bounded by its own deadline)."""
    try:
        for request in client.watch_requests(60):
            if request.contract_id == contract_id:
                return request
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    raise AssertionError("the data request was not issued in time")


def _cut_then_resume(intake, store: MinioStore, request_id: str, path) -> intake_pb2.PushExtractResponse:
    sender, watcher = intake.client(f"municipality:{CHIYODA}"), intake.client(f"municipality:{CHIYODA}")
    reached, release, state = threading.Event(), threading.Event(), {}

    def progress(sent: int) -> None:
        if sent >= 2 * DEFAULT_PART_SIZE:
            reached.set()
            release.wait(60)

    def push() -> None:
        with pytest.raises(grpc.RpcError):
            sender.push_resumable(request_id, path, "utf-8", ROWS, progress=progress,
                                  on_state=lambda pushed: state.update(upload_id=pushed.upload_id))

    thread = threading.Thread(target=push, daemon=True)
    thread.start()
    assert reached.wait(60)
    assert wait_until(lambda: watcher.push_status(state["upload_id"]).offset >= DEFAULT_PART_SIZE, 60)
    sender._channels["intake"].close()
    release.set()
    thread.join(60)
    held = watcher.push_status(state["upload_id"])
    assert 0 < held.offset < path.stat().st_size
    assert not store.list(EXTRACTS, prefix=f"extract/{request_id}/")
    return watcher.push_resumable(request_id, path, "utf-8", ROWS, upload_id=state["upload_id"])


def _corrupt_push(client: PlatformClient, request_id: str, data: bytes) -> tuple[grpc.StatusCode, str]:
    header = intake_pb2.ExtractHeader(request_id=request_id, format=common_pb2.EXTRACT_FORMAT_CSV, encoding="utf-8",
                                      row_count=data.count(b"\n") - 1, sha256=hashlib.sha256(data).hexdigest(),
                                      size_bytes=len(data))
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0x01
    messages = [intake_pb2.PushExtractRequest(header=header),
                *(intake_pb2.PushExtractRequest(chunk=bytes(damaged[i:i + (1 << 20)]))
                  for i in range(0, len(damaged), 1 << 20))]
    with pytest.raises(grpc.RpcError) as caught:
        client.intake().PushExtract(iter(messages), metadata=client._md, timeout=120)
    return caught.value.code(), caught.value.details()


def test_three_municipalities_answer_one_contract_on_real_infrastructure(infra, intake, tmp_path):
    store = MinioStore(infra.s3)
    bus = KafkaBus(infra.kafka_bootstrap, client_id=f"test-intake-{uuid.uuid4().hex[:8]}")
    clients = {code: intake.client(f"municipality:{code}") for code in (CHIYODA, SAPPORO, OSAKA)}
    files = {code: c.register_file(sample.register_request(uuid.uuid4().hex, "国民健康保険被保険者ファイル", ROWS)).file_id
             for code, c in clients.items()}
    contract_id = _conclude(bus, files)
    requests = {code: _watch_for(c, contract_id) for code, c in clients.items()}
    for code, c in clients.items():
        assert c.answer_request(requests[code].request_id, True).state == intake_pb2.DATA_REQUEST_STATE_ACKNOWLEDGED

    big = tmp_path / "chiyoda.csv"
    sample.write_extract(big, ROWS, seed=1)
    resumed = _cut_then_resume(intake, store, requests[CHIYODA].request_id, big)
    assert resumed.sha256 == hashlib.sha256(big.read_bytes()).hexdigest() and resumed.row_count == ROWS

    small = tmp_path / "sapporo.csv"
    sample.write_extract(small, 5_000, seed=2)
    code, details = _corrupt_push(clients[SAPPORO], requests[SAPPORO].request_id, small.read_bytes())
    assert code == grpc.StatusCode.DATA_LOSS and "nothing was stored" in details
    prefix = f"extract/{requests[SAPPORO].request_id}/"
    assert not store.list(EXTRACTS, prefix=prefix)
    assert not list(store.client._list_multipart_uploads(EXTRACTS, prefix=prefix).uploads)
    pushed = {CHIYODA: resumed, SAPPORO: clients[SAPPORO].push_extract(requests[SAPPORO].request_id, small, "utf-8",
                                                                       5_000)}

    source = tmp_path / "osaka-source.csv"
    sample.write_extract(source, 2_000, seed=3, encoding="cp932")
    prepared = tmp_path / "osaka.csv"
    assert municipality_cli.prepare(clients[OSAKA], requests[OSAKA].request_id, source, prepared, "cp932") == 0
    pushed[OSAKA] = clients[OSAKA].push_extract(requests[OSAKA].request_id, prepared, "utf-8", 2_000)

    records = {r.municipality_code: r for r in intake.client("auditor").receipt_records()
               if r.contract_id == contract_id}
    assert {code: (r.request_id, r.extract_id, r.number_of_persons) for code, r in records.items()} == \
        {code: (requests[code].request_id, pushed[code].extract_id, pushed[code].row_count) for code in clients}
    kept = [name for name, _, role in sample.ITEMS
            if name in sample.REQUESTED or role == common_pb2.ITEM_ROLE_LINKING_CODE]
    assert list(records[OSAKA].items) == kept
    assert list(records[CHIYODA].items) == [name for name, _, _ in sample.ITEMS]

    def received():
        events = [events_pb2.EventEnvelope.FromString(v).extract_received for v in bus.read_all(EXTRACT_RECEIVED, 20)]
        return [e for e in events if e.contract_id == contract_id]

    assert wait_until(lambda: len(received()) == 3, 60)
    assert {e.extract_id for e in received()} == {p.extract_id for p in pushed.values()}
    assert all(store.stat(EXTRACTS, e.artifact.key).sha256 == e.artifact.sha256 for e in received())
    answered = [events_pb2.EventEnvelope.FromString(v).data_request_answered.request
                for v in bus.read_all(DATA_REQUEST_ANSWERED, 20)]
    assert {a.request_id for a in answered} >= {r.request_id for r in requests.values()}
    bus.close()
