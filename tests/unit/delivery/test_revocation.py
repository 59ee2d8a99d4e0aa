"""Recalls, misuse, a municipality's cancellation and the sweepers, on delivery's own state with the
embedded bus and the local store (no gRPC, no Kafka, no MinIO); the clock is injected."""
from __future__ import annotations

import hashlib
import io
from datetime import datetime, timedelta, timezone

import pyarrow.parquet as pq
import pytest

from services.common.artifacts import DATASETS, object_key
from services.common.artifacts.local import LocalStore
from services.common.audit import AuditTrail
from services.common.bus import topics
from services.common.bus.embedded import EmbeddedBus
from services.common.db import make_engine
from services.common.errors import FailedPrecondition, PermissionDenied
from services.common.identity import Actor, Role
from services.common.outbox import Outbox
from services.common.pb.sakusei.v1 import events_pb2, review_pb2
from services.delivery import revocation, store
from services.delivery.context import DeliveryContext
from services.delivery.domain import cases
from services.delivery.servicer import DeliveryServicer
from tests.unit.delivery.synthetic import synthetic

T0 = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
OPERATOR = Actor(Role.OPERATOR)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world(tmp_path):
    engine = make_engine(tmp_path, "delivery")
    store.migrate(engine)
    bus = EmbeddedBus()
    outbox = Outbox(engine, store.outbox, bus)
    artifacts = LocalStore(tmp_path / "artifacts")
    artifacts.ensure_buckets()
    ctx = DeliveryContext(engine, outbox, AuditTrail("delivery", outbox), artifacts, bytes(32), Clock())
    return ctx, bus


def _dataset(ctx, dataset_id: str, contract_id: str, municipalities: list[str]) -> None:
    sink = io.BytesIO()
    pq.write_table(synthetic(200), sink)
    ref = ctx.artifacts.put_stream(DATASETS, object_key("dataset", dataset_id, suffix=".parquet"), [sink.getvalue()],
                                   sha256=hashlib.sha256(sink.getvalue()).hexdigest())
    created = events_pb2.DatasetCreated(dataset_id=dataset_id, contract_id=contract_id, artifact=ref,
                                        number_of_persons=200, items=synthetic(1).column_names,
                                        sources=[events_pb2.DatasetSource(municipality_code=m, file_id=f"f-{m}",
                                                                          number_of_persons=100)
                                                 for m in municipalities])
    with ctx.engine.begin() as conn:
        store.register_dataset(conn, created, {})


def _contract(ctx, contract_id: str, business: str, days: int = 30, reused: str = "") -> None:
    contract = review_pb2.Contract(contract_id=contract_id, business_id=business, max_downloads=3,
                                   reused_dataset_id=reused)
    contract.period_start.FromDatetime(T0 - timedelta(days=1))
    contract.period_end.FromDatetime(T0 + timedelta(days=days))
    with ctx.engine.begin() as conn:
        store.add_contract(conn, contract)


def _pull(ctx, dataset_id: str, business: str):
    return DeliveryServicer(ctx, verifier=None)._authorize_pull(dataset_id, 0, Actor(Role.BUSINESS, business))


def _events(ctx, bus, topic: str) -> list:
    ctx.outbox.relay_once()
    while ctx.outbox.relay_once():
        pass
    return [events_pb2.EventEnvelope.FromString(v) for v in bus.read_all(topic)]


@pytest.fixture
def shared(world):
    """One dataset from two municipalities, provided to acme (its contract) and beta (reuse)."""
    ctx, bus = world
    _dataset(ctx, "d1", "k1", ["131016", "011002"])
    _contract(ctx, "k1", "acme")
    _contract(ctx, "k2", "beta", reused="d1")
    _pull(ctx, "d1", "acme")
    _pull(ctx, "d1", "beta")
    return ctx, bus


def test_a_recall_deletes_every_artifact_cancels_contracts_and_awaits_certificates(shared):
    ctx, bus = shared
    assert len(ctx.artifacts.list(DATASETS)) == 3
    case = revocation.recall_dataset(ctx, OPERATOR, "d1", "k-anonymity was not met")
    assert ctx.artifacts.list(DATASETS) == []
    assert case.state == cases.AWAITING and set(case.cancelled_contract_ids) == {"k1", "k2"}
    assert [d.party for d in case.demands] == ["acme", "beta"]
    with pytest.raises(FailedPrecondition, match="recalled"):
        _pull(ctx, "d1", "acme")
    assert [e.dataset_recalled.dataset_id for e in _events(ctx, bus, topics.DATASET_RECALLED)] == ["d1"]
    assert {e.contract_cancelled.contract_id for e in _events(ctx, bus, topics.CONTRACT_CANCELLED)} == {"k1", "k2"}
    assert {e.deletion_requested.party for e in _events(ctx, bus, topics.DELETION_REQUESTED)} == {"acme", "beta"}
    revocation.submit_certificate(ctx, Actor(Role.BUSINESS, "acme"), case.case_id, "deleted", b"%PDF-1.4")
    closed = revocation.submit_certificate(ctx, Actor(Role.BUSINESS, "beta"), case.case_id, "deleted", b"")
    assert closed.state == cases.CLOSED
    assert [e.case_closed.case_id for e in _events(ctx, bus, topics.CASE_CLOSED)] == [case.case_id]
    actions = [events_pb2.EventEnvelope.FromString(v).audit_recorded.action
               for v in bus.read_all(topics.AUDIT_RECORDED)]
    for step in ("recall_dataset", "cancel_contract", "delete_artifacts", "request_deletion", "open_case",
                 "submit_deletion_certificate", "close_case"):
        assert step in actions


def test_recalling_again_returns_the_same_case(shared):
    ctx, _ = shared
    first = revocation.recall_dataset(ctx, OPERATOR, "d1", "inadequate")
    again = revocation.recall_dataset(ctx, OPERATOR, "d1", "inadequate")
    assert again.case_id == first.case_id and again.demands == first.demands


def test_a_stranger_cannot_certify_for_a_case(shared):
    ctx, _ = shared
    case = revocation.recall_dataset(ctx, OPERATOR, "d1", "inadequate")
    with pytest.raises(PermissionDenied):
        revocation.submit_certificate(ctx, Actor(Role.BUSINESS, "gamma"), case.case_id, "deleted", b"")


def test_misuse_cancels_one_contract_and_demands_deletion_downstream(shared):
    ctx, _ = shared
    case = revocation.report_misuse(ctx, OPERATOR, "k2", "passed the data on", ["shady-co", "resale.inc"])
    assert case.kind == cases.MISUSE and case.cancelled_contract_ids == ("k2",)
    assert [d.party for d in case.demands] == ["beta", "shady-co", "resale.inc"]
    with pytest.raises(FailedPrecondition, match="cancelled"):
        _pull(ctx, "d1", "beta")
    _pull(ctx, "d1", "acme")


def test_a_municipality_cancelling_recalls_exactly_the_datasets_from_its_files(shared):
    ctx, _ = shared
    _dataset(ctx, "d2", "k3", ["271004"])
    _contract(ctx, "k3", "acme")
    with pytest.raises(PermissionDenied):
        revocation.cancel_municipality_provision(ctx, Actor(Role.MUNICIPALITY, "271004"), "131016", "cancelled")
    opened = revocation.cancel_municipality_provision(ctx, Actor(Role.MUNICIPALITY, "131016"), "131016",
                                                      "provision contract cancelled")
    assert [(c.subject_id, c.kind) for c in opened] == [("d1", cases.MUNICIPALITY_CANCELLATION)]
    _pull(ctx, "d2", "acme")


def test_at_the_end_of_its_period_a_contract_stops_and_its_recipient_owes_a_certificate(shared):
    ctx, _ = shared
    _contract(ctx, "k9", "idle", days=2, reused="d1")
    ctx.clock.now = T0 + timedelta(days=3)
    with pytest.raises(FailedPrecondition, match="ended"):
        _pull(ctx, "d1", "idle")
    ended, purged = revocation.sweep(ctx)
    assert (ended, purged) == (0, 0)
    ctx.clock.now = T0 + timedelta(days=31)
    ended, _ = revocation.sweep(ctx)
    with ctx.engine.connect() as conn:
        opened = [c for c in store.list_cases(conn) if c.kind == cases.CONTRACT_END]
        assert {store.contract_terms(conn, k).status for k in ("k1", "k2", "k9")} == {"ended"}
    assert ended == 2 and sorted(c.subject_id for c in opened) == ["k1", "k2"]
    assert revocation.sweep(ctx) == (0, 0)


def test_provision_records_are_deleted_three_years_on(shared):
    ctx, _ = shared
    with ctx.engine.connect() as conn:
        assert len(store.provisions(conn)) == 2
    assert revocation.purge_provision_records(ctx, T0 + timedelta(days=3 * 365)) == 0
    assert revocation.purge_provision_records(ctx, T0 + timedelta(days=3 * 365 + 1)) == 2
    with ctx.engine.connect() as conn:
        assert store.provisions(conn) == []
