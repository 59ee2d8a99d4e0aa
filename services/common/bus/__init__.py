"""The event bus: domain events as protobuf envelopes on Kafka (or in process, for the demo)."""
from services.common.bus.base import Consumer, DeliveryPolicy, EventBus, Handler
from services.common.bus.envelope import new_envelope, payload_of, topic_of

__all__ = ["Consumer", "DeliveryPolicy", "EventBus", "Handler", "new_envelope", "payload_of", "topic_of"]
