"""Building and reading event envelopes."""
from __future__ import annotations

import uuid

from google.protobuf.message import Message

from services.common import telemetry
from services.common.bus.topics import TOPIC_OF_PAYLOAD
from services.common.pb.sakusei.v1 import events_pb2

SCHEMA_VERSION = 1


def new_envelope(payload: Message, *, key: str, producer: str, correlation_id: str = "") -> events_pb2.EventEnvelope:
    """Wraps a payload, stamping id, time, producer and the current trace context."""
    field = _field_for(payload)
    envelope = events_pb2.EventEnvelope(
        event_id=str(uuid.uuid4()), type=field, producer=producer, schema_version=SCHEMA_VERSION,
        correlation_id=correlation_id or key, key=key, trace_context=telemetry.inject(),
    )
    envelope.occurred_at.GetCurrentTime()
    getattr(envelope, field).CopyFrom(payload)
    return envelope


def _field_for(payload: Message) -> str:
    for field in events_pb2.EventEnvelope.DESCRIPTOR.oneofs_by_name["payload"].fields:
        if field.message_type is payload.DESCRIPTOR:
            return field.name
    raise TypeError(f"{payload.DESCRIPTOR.full_name} is not an event payload")


def topic_of(envelope: events_pb2.EventEnvelope) -> str:
    return TOPIC_OF_PAYLOAD[envelope.WhichOneof("payload")]


def payload_of(envelope: events_pb2.EventEnvelope) -> Message:
    return getattr(envelope, envelope.WhichOneof("payload"))
