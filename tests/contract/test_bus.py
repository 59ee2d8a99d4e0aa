"""One contract, two buses: the embedded one and Kafka must behave the same."""
from __future__ import annotations

import threading
import uuid

import pytest

from services.common.bus import DeliveryPolicy, new_envelope
from services.common.bus.base import wait_until
from services.common.bus.embedded import EmbeddedBus
from services.common.bus.kafka import KafkaBus
from services.common.bus.topics import AUDIT_RECORDED, DEAD_LETTER
from services.common.errors import FailedPrecondition
from services.common.pb.sakusei.v1 import events_pb2

FAST = DeliveryPolicy(max_attempts=3, first_backoff_s=0.01, max_backoff_s=0.02)


@pytest.fixture(params=["embedded", "kafka"])
def bus(request):
    if request.param == "embedded":
        yield EmbeddedBus()
        return
    infra = request.getfixturevalue("infra")
    kafka = KafkaBus(infra.kafka_bootstrap, client_id="contract-tests")
    kafka.ensure_topics()
    yield kafka
    kafka.close()


def _event(key: str, action: str = "test") -> events_pb2.EventEnvelope:
    return new_envelope(events_pb2.AuditRecorded(actor="operator", action=action, object_id=key), key=key,
                        producer="tests")


def _mine(key: str):
    return lambda envelope: envelope.key == key


class Recorder:
    def __init__(self, accept=lambda envelope: True, fail_times: int = 0, error=RuntimeError):
        self.seen: list[events_pb2.EventEnvelope] = []
        self.accept, self.fail_times, self.error = accept, fail_times, error
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, envelope):
        if not self.accept(envelope):
            return
        with self.lock:
            self.calls += 1
            if self.calls <= self.fail_times:
                raise self.error("refused on purpose")
            self.seen.append(envelope)


def test_published_event_reaches_a_consumer_with_its_envelope(bus):
    key = str(uuid.uuid4())
    recorder = Recorder(_mine(key))
    consumer = bus.consumer(f"g-{key}", [AUDIT_RECORDED], recorder, FAST).start()
    sent = _event(key)
    bus.publish(sent)
    try:
        assert wait_until(lambda: recorder.seen, 90)
    finally:
        consumer.stop()
    got = recorder.seen[0]
    assert got.event_id == sent.event_id and got.type == "audit_recorded" and got.producer == "tests"
    assert got.schema_version == 1 and got.correlation_id == key and got.occurred_at.seconds > 0
    assert got.audit_recorded.object_id == key


def test_events_of_one_key_keep_their_order(bus):
    key = str(uuid.uuid4())
    recorder = Recorder(_mine(key))
    for index in range(20):
        bus.publish(_event(key, action=f"step-{index}"))
    consumer = bus.consumer(f"g-{key}", [AUDIT_RECORDED], recorder, FAST).start()
    try:
        assert wait_until(lambda: len(recorder.seen) == 20, 30)
    finally:
        consumer.stop()
    assert [e.audit_recorded.action for e in recorder.seen] == [f"step-{i}" for i in range(20)]


def test_a_failing_handler_is_retried_until_it_succeeds(bus):
    key = str(uuid.uuid4())
    recorder = Recorder(_mine(key), fail_times=2)
    consumer = bus.consumer(f"g-{key}", [AUDIT_RECORDED], recorder, FAST).start()
    bus.publish(_event(key))
    try:
        assert wait_until(lambda: recorder.seen, 90)
    finally:
        consumer.stop()
    assert recorder.calls == 3 and len(recorder.seen) == 1


@pytest.mark.parametrize("error, attempts, reason", [
    (RuntimeError, 3, "RuntimeError"),  # others' messages may echo data: only the type is kept
    (FailedPrecondition, 1, "FailedPrecondition: refused on purpose"),  # our own errors are not retried
])
def test_an_event_that_keeps_failing_is_parked_and_the_consumer_goes_on(bus, error, attempts, reason):
    key = str(uuid.uuid4())
    poison, good = _event(key, "poison"), _event(key, "good")
    recorder = Recorder(lambda e: e.key == key, fail_times=attempts, error=error)
    consumer = bus.consumer(f"g-{key}", [AUDIT_RECORDED], recorder, FAST).start()
    bus.publish(poison)
    bus.publish(good)
    try:
        assert wait_until(lambda: recorder.seen, 90)
    finally:
        consumer.stop()
    assert [e.event_id for e in recorder.seen] == [good.event_id]
    letters = [events_pb2.DeadLetter.FromString(v) for v in bus.read_all(DEAD_LETTER, timeout_s=10)]
    mine = [d for d in letters if events_pb2.EventEnvelope.FromString(d.envelope).event_id == poison.event_id]
    assert len(mine) == 1
    assert mine[0].attempts == attempts and mine[0].topic == AUDIT_RECORDED and mine[0].consumer_group == f"g-{key}"
    assert mine[0].reason == reason


def test_a_group_resumes_after_its_last_committed_event(bus):
    key = str(uuid.uuid4())
    first = Recorder(_mine(key))
    consumer = bus.consumer(f"g-{key}", [AUDIT_RECORDED], first, FAST).start()
    bus.publish(_event(key, "one"))
    assert wait_until(lambda: first.seen, 30)
    consumer.stop()
    bus.publish(_event(key, "two"))
    second = Recorder(_mine(key))
    consumer = bus.consumer(f"g-{key}", [AUDIT_RECORDED], second, FAST).start()
    try:
        assert wait_until(lambda: second.seen, 30)
    finally:
        consumer.stop()
    assert [e.audit_recorded.action for e in second.seen] == ["two"]


def test_an_event_in_hand_when_the_consumer_stops_is_delivered_again(bus):
    key = str(uuid.uuid4())
    entered, release = threading.Event(), threading.Event()

    def stuck(envelope):
        if envelope.key == key:
            entered.set()
            release.wait(5)
            raise RuntimeError("interrupted")

    consumer = bus.consumer(f"g-{key}", [AUDIT_RECORDED], stuck, DeliveryPolicy(max_attempts=50)).start()
    bus.publish(_event(key))
    assert entered.wait(30)
    stopper = threading.Thread(target=consumer.stop)
    stopper.start()
    release.set()
    stopper.join(30)
    again = Recorder(_mine(key))
    consumer = bus.consumer(f"g-{key}", [AUDIT_RECORDED], again, FAST).start()
    try:
        assert wait_until(lambda: again.seen, 30)
    finally:
        consumer.stop()
    assert len(again.seen) == 1
