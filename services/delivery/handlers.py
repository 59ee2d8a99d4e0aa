"""Delivery's event handlers: it learns contracts (new and reuse) and registers created datasets."""
from __future__ import annotations

from services.common.audit import AuditTrail
from services.common.pb.sakusei.v1 import events_pb2
from services.delivery import store


def on_contract_concluded(engine, envelope: events_pb2.EventEnvelope) -> None:
    """A reuse contract (Act 44-12) names the dataset it provides; others get the dataset created for them."""
    with engine.begin() as conn:
        store.add_contract(conn, envelope.contract_concluded.contract)


def on_dataset_created(engine, audit: AuditTrail, envelope: events_pb2.EventEnvelope) -> None:
    """Registers the dataset (Art. 12) and keeps the trace of its creation for later pulls."""
    created = envelope.dataset_created
    with engine.begin() as conn:
        if store.register_dataset(conn, created, dict(envelope.trace_context)):
            audit.record(conn, "service:delivery", "register_dataset", "dataset", created.dataset_id)
