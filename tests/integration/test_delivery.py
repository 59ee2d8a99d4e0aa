"""Delivery on the real Kafka and MinIO: 20 recipients of one dataset, each pulling its own marked
package; a leaked 10 % sample, re-sorted and without two columns, traced to each of them; an
expired contract refused; a recall that leaves nothing in MinIO and cancels every contract."""
from __future__ import annotations

import hashlib
import io
import random
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

import grpc
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.cli.clients import PlatformClient, actor_token
from services.common.artifacts import DATASETS, object_key
from services.common.artifacts.minio_store import MinioStore
from services.common.bus import new_envelope
from services.common.bus.base import wait_until
from services.common.bus.kafka import KafkaBus
from services.common.bus.topics import CONTRACT_CANCELLED, DATASET_RECALLED
from services.common.config import Settings
from services.common.identity import TokenVerifier
from services.common.pb.sakusei.v1 import events_pb2, review_pb2
from services.common.runtime import Runtime
from services.delivery.app import DeliveryApp
from services.delivery.domain import package
from tests.unit.delivery.synthetic import synthetic

RUN = uuid.uuid4().hex[:6]
RECIPIENTS = [f"recipient-{i:02d}-{RUN}" for i in range(20)]
LATE = f"late-co-{RUN}"


class Running:
    """Delivery in this process; ``restart`` replaces it by a fresh one on the same port and state."""

    def __init__(self, make):
        self.make = make
        self.app = make()
        self.port = self.app.start(host="127.0.0.1", port=0)

    @property
    def runtime(self) -> Runtime:
        return self.app.runtime

    def restart(self) -> None:
        self.app.stop()
        self.app = self.make()
        self.app.start(host="127.0.0.1", port=self.port)


@pytest.fixture
def delivery(infra, keys, tmp_path):
    """Delivery on real Kafka and MinIO, in consumer groups of its own."""
    tag = uuid.uuid4().hex[:8]
    settings = Settings(kafka_bootstrap=infra.kafka_bootstrap, s3=infra.s3, state_dir=tmp_path / "delivery",
                        token_public_key=keys[1])
    bus = KafkaBus(infra.kafka_bootstrap, client_id=f"test-delivery-{tag}", group_prefix=f"run-{tag}-",
                   new_groups_at_end=True)
    bus.ensure_topics()
    store = MinioStore(infra.s3)
    store.ensure_buckets()
    runtime = Runtime(settings, bus, store, TokenVerifier.from_pem(keys[1]))
    running = Running(lambda: DeliveryApp(runtime))
    try:
        yield running
    finally:
        running.app.stop()
        bus.close()


def _until_known(delivery: Running, businesses: dict, dataset_id: str) -> None:
    """Waits until delivery learned the dataset and every contract. A consumer whose first group join
    found no partition metadata may stay without partitions (seen with kafka-python under load); a
    restart makes it join again, as an operator would restart a stuck service."""
    for _ in range(3):
        if wait_until(lambda: all(any(d.dataset_id == dataset_id for d in c.datasets())
                                  for c in businesses.values()), 60, 0.5):
            return
        delivery.restart()
    raise AssertionError("delivery did not learn the dataset and its contracts from Kafka")


def _contract(bus: KafkaBus, business: str, dataset_id: str, contract_id: str = "", days_to: int = 30) -> str:
    now = datetime.now(timezone.utc)
    contract = review_pb2.Contract(contract_id=contract_id or str(uuid.uuid4()), business_id=business,
                                   max_downloads=2, reused_dataset_id="" if contract_id else dataset_id)
    contract.period_start.FromDatetime(now - timedelta(days=60))
    contract.period_end.FromDatetime(now + timedelta(days=days_to))
    bus.publish(new_envelope(events_pb2.ContractConcluded(contract=contract), key=contract.contract_id,
                             producer="review"))
    return contract.contract_id


def _created(delivery: Running, table: pa.Table) -> str:
    """Stores a dataset as transform would and announces it on Kafka."""
    dataset_id, creating_contract = str(uuid.uuid4()), str(uuid.uuid4())
    sink = io.BytesIO()
    pq.write_table(table, sink)
    data = sink.getvalue()
    ref = delivery.runtime.store.put_stream(DATASETS, object_key("dataset", dataset_id, suffix=".parquet"), [data],
                                            sha256=hashlib.sha256(data).hexdigest())
    _contract(delivery.runtime.bus, RECIPIENTS[0], dataset_id, contract_id=creating_contract)
    created = events_pb2.DatasetCreated(dataset_id=dataset_id, contract_id=creating_contract, artifact=ref,
                                        number_of_persons=table.num_rows, items=table.column_names,
                                        sources=[events_pb2.DatasetSource(municipality_code="131016", file_id="f1",
                                                                          number_of_persons=table.num_rows)])
    delivery.runtime.bus.publish(new_envelope(created, key=dataset_id, producer="transform"))
    return dataset_id


def _code(call):
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value.code(), caught.value.details()


def test_twenty_recipients_pull_marked_copies_each_traced_from_a_leak_then_recalled(delivery, issuer, tmp_path):
    address = {"delivery": f"127.0.0.1:{delivery.port}"}
    client = lambda actor: PlatformClient(address, actor_token(issuer, actor))  # noqa: E731
    dataset = synthetic(2000, seed=11)
    dataset_id = _created(delivery, dataset)
    for business in RECIPIENTS[1:]:
        _contract(delivery.runtime.bus, business, dataset_id)
    _contract(delivery.runtime.bus, LATE, dataset_id, days_to=-1)
    businesses = {b: client(f"business:{b}") for b in RECIPIENTS + [LATE]}
    _until_known(delivery, businesses, dataset_id)

    copies = {}
    for business in RECIPIENTS:
        out = tmp_path / f"{business}.zip"
        pulled = businesses[business].pull(dataset_id, out)
        assert pulled.sha256 == next(d.sha256 for d in businesses[business].datasets() if d.dataset_id == dataset_id)
        copies[business] = pq.read_table(io.BytesIO(package.read_data_member(out.read_bytes())[1]))
    counts = [{n: Counter(t.column(n).to_pylist()) for n in t.column_names} for t in copies.values()]
    original = {n: Counter(dataset.column(n).to_pylist()) for n in dataset.column_names}
    assert all(c == original for c in counts)
    assert len({hashlib.sha256(repr(sorted(map(str, zip(*t.to_pydict().values())))).encode()).hexdigest()
                for t in copies.values()}) == 20

    operator = client("operator")
    rng = random.Random(20)
    named = {}
    for index, business in enumerate(RECIPIENTS):
        dropped = rng.sample(dataset.column_names, 2)
        kept = [c for c in dataset.column_names if c not in dropped]
        sample = copies[business].select(kept).take(rng.sample(range(dataset.num_rows), dataset.num_rows // 10))
        sink = io.BytesIO()
        pq.write_table(sample.sort_by([(kept[index % len(kept)], "ascending")]), sink)
        result = operator.trace_leak(sink.getvalue(), dataset_id)
        named[business] = (result.recipient, result.confidence)
    print("trace over 20 recipients:", sum(r == b for b, (r, _) in named.items()), "/ 20 named correctly")
    assert all(r == b and confidence > 0.999 for b, (r, confidence) in named.items()), named

    code, details = _code(lambda: businesses[LATE].pull(dataset_id, tmp_path / "late.zip"))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "ended" in details

    minio = MinioStore(delivery.runtime.store.settings)
    assert len([k for k in minio.list(DATASETS) if dataset_id in k]) == 21
    case = operator.recall(dataset_id, "inadequate processing found in an inspection")
    assert [k for k in minio.list(DATASETS) if dataset_id in k] == []
    assert len(case.cancelled_contract_ids) == 21 and {d.party for d in case.demands} == set(RECIPIENTS)
    code, details = _code(lambda: businesses[RECIPIENTS[3]].pull(dataset_id, tmp_path / "after.zip"))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "recalled" in details

    bus = KafkaBus(delivery.runtime.bus.bootstrap[0], client_id=f"test-read-{uuid.uuid4().hex[:6]}")
    try:
        def announced() -> tuple[set, set]:
            recalled = {events_pb2.EventEnvelope.FromString(v).dataset_recalled.dataset_id
                        for v in bus.read_all(DATASET_RECALLED, 20)}
            cancelled = {events_pb2.EventEnvelope.FromString(v).contract_cancelled.contract_id
                         for v in bus.read_all(CONTRACT_CANCELLED, 20)}
            return recalled, cancelled
        assert wait_until(lambda: dataset_id in announced()[0] and
                          set(case.cancelled_contract_ids) <= announced()[1], 60, 1)
    finally:
        bus.close()
    for each in businesses.values():
        each.close()
    operator.close()
