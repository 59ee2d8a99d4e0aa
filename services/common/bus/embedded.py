"""An in-process bus for `make demo`: the same guarantees as Kafka, kept in memory."""
from __future__ import annotations

import threading
from collections import defaultdict
from typing import Iterable

from services.common.bus.base import Consumer, DeliveryPolicy, EventBus, Handler
from services.common.bus.envelope import topic_of
from services.common.pb.sakusei.v1 import events_pb2


class _Log:
    """Append-only topic logs with committed offsets per (group, topic)."""

    def __init__(self):
        self.records: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
        self.committed: dict[tuple[str, str], int] = defaultdict(int)
        self.changed = threading.Condition()


class EmbeddedBus(EventBus):
    def __init__(self):
        self._log = _Log()

    def publish(self, envelope: events_pb2.EventEnvelope) -> None:
        self.publish_raw(topic_of(envelope), envelope.key, envelope.SerializeToString())

    def publish_raw(self, topic: str, key: str, value: bytes) -> None:
        with self._log.changed:
            self._log.records[topic].append((key, value))
            self._log.changed.notify_all()

    def consumer(self, group: str, topics: Iterable[str], handler: Handler,
                 policy: DeliveryPolicy = DeliveryPolicy()) -> Consumer:
        return _EmbeddedConsumer(self, group, tuple(topics), handler, policy)

    def read_all(self, topic: str, timeout_s: float = 5.0) -> list[bytes]:
        with self._log.changed:
            return [value for _, value in self._log.records[topic]]


class _EmbeddedConsumer(Consumer):
    def __init__(self, bus: EmbeddedBus, group: str, topics: tuple[str, ...], handler: Handler,
                 policy: DeliveryPolicy):
        super().__init__(bus, group, handler, policy)
        self.topics = topics
        self._log = bus._log

    def _next(self) -> tuple[str, int, str, bytes] | None:
        for topic in self.topics:
            offset = self._log.committed[(self.group, topic)]
            if offset < len(self._log.records[topic]):
                key, value = self._log.records[topic][offset]
                return topic, offset, key, value
        return None

    def _run(self) -> None:
        while not self.stopping:
            with self._log.changed:
                item = self._next()
                if item is None:
                    self._log.changed.wait(0.2)
                    continue
            topic, offset, key, value = item
            try:
                self.deliver_bytes(topic, key, value)
            except InterruptedError:
                return
            with self._log.changed:
                self._log.committed[(self.group, topic)] = offset + 1
