"""The outbox publishes only what committed, in order, and catches up after a failure."""
from sqlalchemy import MetaData, create_engine

from services.common.bus import new_envelope
from services.common.bus.embedded import EmbeddedBus
from services.common.bus.topics import AUDIT_RECORDED
from services.common.outbox import Outbox, outbox_table
from services.common.pb.sakusei.v1 import events_pb2


def _outbox(bus):
    metadata = MetaData()
    table = outbox_table(metadata)
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    return Outbox(engine, table, bus)


def _event(action):
    return new_envelope(events_pb2.AuditRecorded(action=action), key="k", producer="tests")


def test_events_of_a_rolled_back_transaction_are_never_published():
    bus = EmbeddedBus()
    outbox = _outbox(bus)
    try:
        with outbox.engine.begin() as conn:
            outbox.add(conn, _event("lost"))
            raise RuntimeError("the work failed")
    except RuntimeError:
        pass
    with outbox.engine.begin() as conn:
        outbox.add(conn, _event("kept"))
    assert outbox.relay_once() == 1
    published = [events_pb2.EventEnvelope.FromString(v).audit_recorded.action for v in bus.read_all(AUDIT_RECORDED)]
    assert published == ["kept"]


class FlakyBus(EmbeddedBus):
    def __init__(self):
        super().__init__()
        self.down = True

    def publish(self, envelope):
        if self.down:
            raise ConnectionError("broker unreachable")
        super().publish(envelope)


def test_pending_events_are_sent_in_order_once_the_bus_is_back():
    bus = FlakyBus()
    outbox = _outbox(bus)
    with outbox.engine.begin() as conn:
        for action in ("one", "two", "three"):
            outbox.add(conn, _event(action))
    try:
        outbox.relay_once()
    except ConnectionError:
        pass
    bus.down = False
    assert outbox.relay_once() == 3
    assert outbox.relay_once() == 0
    published = [events_pb2.EventEnvelope.FromString(v).audit_recorded.action for v in bus.read_all(AUDIT_RECORDED)]
    assert published == ["one", "two", "three"]
