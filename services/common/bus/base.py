"""What every bus guarantees, whatever carries the events.

At-least-once: an event's offset is committed only after its handler returned, so its effects
are durable first; handlers must be idempotent. A handler that keeps failing is retried a bounded
number of times, then the event is parked on the dead-letter topic with the reason and the
consumer carries on with the next one.
"""
from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, Iterable

from google.protobuf.message import DecodeError
from opentelemetry import trace

from services.common import telemetry
from services.common.bus.topics import DEAD_LETTER
from services.common.errors import DomainError
from services.common.pb.sakusei.v1 import events_pb2

Handler = Callable[[events_pb2.EventEnvelope], None]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 5
    first_backoff_s: float = 0.2
    max_backoff_s: float = 5.0

    def backoff(self, attempt: int) -> float:
        return min(self.first_backoff_s * 2 ** (attempt - 1), self.max_backoff_s)


def failure_reason(error: BaseException) -> str:
    """Why an event was parked. Only our own errors' messages are kept: others may echo data."""
    if isinstance(error, DomainError):
        return f"{type(error).__name__}: {error}"
    return type(error).__name__


class Consumer(ABC):
    """One consumer group member on a set of topics, run on its own thread."""

    def __init__(self, bus: "EventBus", group: str, handler: Handler, policy: DeliveryPolicy):
        self.bus, self.group, self.handler, self.policy = bus, group, handler, policy
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Consumer":
        self._thread = threading.Thread(target=self._run, name=f"consumer-{self.group}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @abstractmethod
    def _run(self) -> None: ...

    def deliver(self, topic: str, envelope: events_pb2.EventEnvelope) -> None:
        """Runs the handler with bounded retries; parks the event if it never succeeds.

        Raises InterruptedError when the consumer is stopped first: the event is then neither
        parked nor committed, so it is delivered again.
        """
        attempt, error = 0, None
        while attempt < self.policy.max_attempts:
            if self.stopping:
                raise InterruptedError("consumer stopped before the event was handled")
            attempt += 1
            try:
                self._handle_traced(envelope)
                return
            except DomainError as exc:
                error = exc
                break
            except Exception as exc:  # noqa: BLE001 - any failure is retried, then parked
                error = exc
                log.warning("handler %s failed on %s (attempt %d): %s", self.group, envelope.event_id, attempt,
                            type(exc).__name__)
                self._stop.wait(self.policy.backoff(attempt))
        self.park(topic, envelope, failure_reason(error), attempt)

    def _handle_traced(self, envelope: events_pb2.EventEnvelope) -> None:
        parent = telemetry.extract(envelope.trace_context)
        span_name = f"consume {envelope.type}"
        with telemetry.tracer(__name__).start_as_current_span(span_name, context=parent,
                                                              kind=trace.SpanKind.CONSUMER) as span:
            span.set_attribute("messaging.consumer.group.name", self.group)
            span.set_attribute("sakusei.event_id", envelope.event_id)
            span.set_attribute("sakusei.correlation_id", envelope.correlation_id)
            self.handler(envelope)

    def deliver_bytes(self, topic: str, key: str, value: bytes) -> None:
        """Decodes a record and delivers it; a record that is no envelope is parked at once."""
        try:
            envelope = events_pb2.EventEnvelope.FromString(value)
        except DecodeError:
            self._park(topic, key, value, "DecodeError: not an event envelope", 0)
            return
        self.deliver(topic, envelope)

    def park(self, topic: str, envelope: events_pb2.EventEnvelope, reason: str, attempts: int) -> None:
        self._park(topic, envelope.key, envelope.SerializeToString(), reason, attempts)
        log.error("parked event %s of %s for %s: %s", envelope.event_id, topic, self.group, reason)

    def _park(self, topic: str, key: str, value: bytes, reason: str, attempts: int) -> None:
        letter = events_pb2.DeadLetter(topic=topic, consumer_group=self.group, envelope=value, reason=reason,
                                       attempts=attempts)
        letter.parked_at.GetCurrentTime()
        self.bus.publish_raw(DEAD_LETTER, key, letter.SerializeToString())


class EventBus(ABC):
    @abstractmethod
    def publish(self, envelope: events_pb2.EventEnvelope) -> None:
        """Returns once the event is durably accepted (all in-sync replicas for Kafka)."""

    @abstractmethod
    def publish_raw(self, topic: str, key: str, value: bytes) -> None: ...

    @abstractmethod
    def consumer(self, group: str, topics: Iterable[str], handler: Handler,
                 policy: DeliveryPolicy = DeliveryPolicy()) -> Consumer: ...

    @abstractmethod
    def read_all(self, topic: str, timeout_s: float = 5.0) -> list[bytes]:
        """Every value on a topic from the beginning, for auditors and tests; bounded in time."""

    def close(self) -> None:
        """Releases connections."""


def wait_until(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.05) -> bool:
    """Polls a condition for a bounded time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return predicate()
