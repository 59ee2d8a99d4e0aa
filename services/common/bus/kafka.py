"""The bus on Apache Kafka through kafka-python.

Producers wait for all in-sync replicas (acks=all) and are idempotent, so a retried send is not
written twice. Consumers commit each record's offset only after its handler returned.
Clients are created lazily: constructing the bus does no network I/O.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Iterable

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from services.common.bus.base import Consumer, DeliveryPolicy, EventBus, Handler
from services.common.bus.envelope import topic_of
from services.common.bus.topics import ALL_TOPICS
from services.common.pb.sakusei.v1 import events_pb2

log = logging.getLogger(__name__)
SEND_TIMEOUT_S = 30


class KafkaBus(EventBus):
    """``group_prefix`` sets apart the consumer groups of one deployment (or test run) on a shared
    broker; with ``new_groups_at_end`` a group that has never committed starts at the topics' end
    instead of replaying their history."""

    def __init__(self, bootstrap: str, client_id: str, partitions: int = 6, replication: int = 1,
                 max_poll_interval_ms: int = 300_000, group_prefix: str = "", new_groups_at_end: bool = False):
        self.bootstrap = bootstrap.split(",")
        self.client_id = client_id
        self.group_prefix, self.new_groups_at_end = group_prefix, new_groups_at_end
        self.partitions, self.replication = partitions, replication
        self.max_poll_interval_ms = max_poll_interval_ms
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()

    def ensure_topics(self, topics: Iterable[str] = ALL_TOPICS, timeout_s: float = 60) -> None:
        """Creates missing topics (brokers here never create topics on their own) and waits until
        every one has partition metadata, so that consumers joining next are assigned partitions."""
        topics = tuple(topics)
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id=f"{self.client_id}-admin")
        try:
            existing = set(admin.list_topics())
            missing = [NewTopic(t, self.partitions, self.replication) for t in topics if t not in existing]
            if missing:
                try:
                    admin.create_topics(missing)
                except TopicAlreadyExistsError:
                    pass
        finally:
            admin.close()
        self._await_metadata(topics, timeout_s)

    def _await_metadata(self, topics: tuple[str, ...], timeout_s: float) -> None:
        probe = KafkaConsumer(bootstrap_servers=self.bootstrap, client_id=f"{self.client_id}-probe")
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                probe.topics()
                if all(probe.partitions_for_topic(t) for t in topics):
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError("Kafka topics have no partition metadata yet")
                time.sleep(0.2)
        finally:
            probe.close()

    def _get_producer(self) -> KafkaProducer:
        with self._lock:
            if self._producer is None:
                self._producer = KafkaProducer(bootstrap_servers=self.bootstrap, client_id=self.client_id,
                                               acks="all", enable_idempotence=True, linger_ms=2)
            return self._producer

    def publish(self, envelope: events_pb2.EventEnvelope) -> None:
        headers = [(k, v.encode()) for k, v in envelope.trace_context.items()]
        headers.append(("event-type", envelope.type.encode()))
        self._send(topic_of(envelope), envelope.key, envelope.SerializeToString(), headers)

    def publish_raw(self, topic: str, key: str, value: bytes) -> None:
        self._send(topic, key, value, [])

    def _send(self, topic: str, key: str, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        future = self._get_producer().send(topic, key=key.encode(), value=value, headers=headers)
        future.get(timeout=SEND_TIMEOUT_S)

    def consumer(self, group: str, topics: Iterable[str], handler: Handler,
                 policy: DeliveryPolicy = DeliveryPolicy()) -> Consumer:
        group = self.group_prefix + group
        topics = tuple(topics)
        if self.new_groups_at_end:
            self._start_new_group_at_end(group, topics)
        return _KafkaConsumer(self, group, topics, handler, policy)

    def _start_new_group_at_end(self, group: str, topics: tuple[str, ...]) -> None:
        """Commits the topics' current end offsets for a group that has committed nothing yet, before
        its consumer starts, so that it sees exactly the events published from then on."""
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=group, enable_auto_commit=False,
                                 client_id=f"{self.client_id}-positioner")
        try:
            consumer.topics()
            partitions = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
            if any(consumer.committed(tp) is not None for tp in partitions):
                return
            ends = consumer.end_offsets(partitions)
            consumer.commit({tp: OffsetAndMetadata(ends[tp], "", -1) for tp in partitions})
        finally:
            consumer.close()

    def read_all(self, topic: str, timeout_s: float = 5.0) -> list[bytes]:
        reader = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                               client_id=f"{self.client_id}-reader")
        try:
            partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
            reader.assign(partitions)
            reader.seek_to_beginning(*partitions)
            ends = reader.end_offsets(partitions)
            values: list[bytes] = []
            deadline = time.monotonic() + timeout_s
            while any(reader.position(tp) < ends[tp] for tp in partitions) and time.monotonic() < deadline:
                for records in reader.poll(timeout_ms=200).values():
                    values.extend(r.value for r in records)
            return values
        finally:
            reader.close()

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.close(timeout=10)
                self._producer = None


class _KafkaConsumer(Consumer):
    """A group member that commits each record after its handler, and rejoins when stalled.

    It learns its topics' metadata before subscribing, so that the first join can already assign
    partitions; and a member left without partitions for ``STALL_S`` (a join that never completed,
    seen with kafka-python under load) closes and joins again rather than idling unnoticed.
    """

    STALL_S = 60.0

    def __init__(self, bus: KafkaBus, group: str, topics: tuple[str, ...], handler: Handler,
                 policy: DeliveryPolicy):
        super().__init__(bus, group, handler, policy)
        self.topics = topics
        self.kafka_bus = bus

    def _connect(self) -> KafkaConsumer:
        consumer = KafkaConsumer(bootstrap_servers=self.kafka_bus.bootstrap, group_id=self.group,
                                 client_id=f"{self.kafka_bus.client_id}-{self.group}", enable_auto_commit=False,
                                 auto_offset_reset="earliest", max_poll_records=1, metadata_max_age_ms=10_000,
                                 max_poll_interval_ms=self.kafka_bus.max_poll_interval_ms)
        consumer.topics()
        consumer.subscribe(list(self.topics))
        return consumer

    def _run(self) -> None:
        while not self.stopping:
            consumer = self._connect()
            try:
                self._consume(consumer)
            except InterruptedError:
                log.info("consumer %s stopped with an event in hand; it will be delivered again", self.group)
                return
            finally:
                consumer.close(autocommit=False)

    def _consume(self, consumer: KafkaConsumer) -> None:
        """Delivers records until stopped, or returns when the member has stalled without partitions."""
        unassigned_since = time.monotonic()
        while not self.stopping:
            for partition, records in consumer.poll(timeout_ms=200).items():
                for record in records:
                    self.deliver_bytes(record.topic, (record.key or b"").decode(), record.value)
                    consumer.commit({partition: OffsetAndMetadata(record.offset + 1, "", -1)})
            if consumer.assignment():
                unassigned_since = time.monotonic()
            elif time.monotonic() - unassigned_since > self.STALL_S:
                log.warning("consumer %s has had no partitions for %.0f s; joining again", self.group, self.STALL_S)
                return
