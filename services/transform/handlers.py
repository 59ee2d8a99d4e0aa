"""Transform's event handlers: once every extract of a contract is in, its dataset is created."""
from __future__ import annotations

from services.common.pb.sakusei.v1 import events_pb2
from services.transform import store
from services.transform.jobs import TransformContext, run_job


def on_extract_received(ctx: TransformContext, envelope: events_pb2.EventEnvelope) -> None:
    event = envelope.extract_received
    with ctx.engine.begin() as conn:
        store.remember_extract(conn, event)
    if all(p.extract_id for p in event.contract_progress):
        run_job(ctx, event.contract_id, [p.extract_id for p in event.contract_progress])
