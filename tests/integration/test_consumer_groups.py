"""Consumer groups on the real Kafka: a prefix keeps runs apart, and a new group told to start at
the end skips the history but, once it has committed, misses nothing published while it was down."""
from __future__ import annotations

import uuid

from services.common.bus import DeliveryPolicy, new_envelope
from services.common.bus.base import wait_until
from services.common.bus.kafka import KafkaBus
from services.common.bus.topics import AUDIT_RECORDED
from services.common.pb.sakusei.v1 import events_pb2

FAST = DeliveryPolicy(max_attempts=2, first_backoff_s=0.01, max_backoff_s=0.02)


def _event(run: str, action: str) -> events_pb2.EventEnvelope:
    return new_envelope(events_pb2.AuditRecorded(actor="operator", action=action, object_id=run), key=run,
                        producer="tests")


def test_a_new_group_starts_at_the_end_and_then_keeps_its_place(infra):
    run = uuid.uuid4().hex[:8]
    bus = KafkaBus(infra.kafka_bootstrap, client_id=f"groups-{run}", group_prefix=f"run-{run}-",
                   new_groups_at_end=True)
    bus.ensure_topics([AUDIT_RECORDED])
    seen: list[str] = []

    def record(envelope: events_pb2.EventEnvelope) -> None:
        if envelope.key == run:
            seen.append(envelope.audit_recorded.action)

    try:
        bus.publish(_event(run, "before the group existed"))
        consumer = bus.consumer("audit", [AUDIT_RECORDED], record, FAST).start()
        bus.publish(_event(run, "while consuming"))
        assert wait_until(lambda: seen == ["while consuming"], 90)
        consumer.stop()
        bus.publish(_event(run, "while stopped"))
        consumer = bus.consumer("audit", [AUDIT_RECORDED], record, FAST).start()
        assert wait_until(lambda: seen == ["while consuming", "while stopped"], 90)
        consumer.stop()
    finally:
        bus.close()
    assert seen == ["while consuming", "while stopped"]
