"""Receipt records are kept 3 years, then deleted by the sweeper; the clock is injected."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine

from services.common.audit import AuditTrail
from services.common.bus.embedded import EmbeddedBus
from services.common.bus.topics import AUDIT_RECORDED
from services.common.outbox import Outbox
from services.common.pb.sakusei.v1 import events_pb2
from services.intake import store
from services.intake.app_context import IntakeContext
from services.intake.domain import receipt_expired
from services.intake.retention import sweep_receipts

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("age, expired", [
    (timedelta(0), False),
    (timedelta(days=365 * 3), False),
    (timedelta(days=365 * 3 + 1), True),
    (timedelta(days=365 * 4), True),
])
def test_a_receipt_record_expires_after_three_years(age, expired):
    assert receipt_expired(T0, T0 + age) is expired


def test_the_sweeper_deletes_expired_records_only_and_audits_each_deletion():
    engine = create_engine("sqlite://", future=True)
    store.metadata.create_all(engine)
    bus = EmbeddedBus()
    outbox = Outbox(engine, store.outbox, bus)
    now = {"at": T0}
    ctx = IntakeContext(engine, outbox, AuditTrail("intake", outbox), clock=lambda: now["at"])
    with engine.begin() as conn:
        for receipt_id, received in (("old", T0 - timedelta(days=2000)), ("new", T0)):
            store.insert_receipt(conn, ["性別"], receipt_id=receipt_id, received_at=received, municipality_code="131016",
                                 request_id="r", contract_id="c", extract_id=f"e-{receipt_id}", number_of_persons=10)
    assert sweep_receipts(ctx) == 1
    now["at"] = T0 + timedelta(days=365 * 3 + 2)
    assert sweep_receipts(ctx) == 1 and sweep_receipts(ctx) == 0
    with engine.connect() as conn:
        assert store.list_receipts(conn) == []
    outbox.relay_once()
    deleted = [events_pb2.EventEnvelope.FromString(v).audit_recorded for v in bus.read_all(AUDIT_RECORDED)]
    assert [(a.action, a.object_id) for a in deleted] == [("delete_receipt_record", "old"),
                                                         ("delete_receipt_record", "new")]
