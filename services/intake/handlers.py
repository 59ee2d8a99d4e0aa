"""Intake's event handlers: a concluded contract becomes one data request per (municipality, file)."""
from __future__ import annotations

from services.common.bus import new_envelope
from services.common.errors import FailedPrecondition
from services.common.pb.sakusei.v1 import events_pb2
from services.intake import domain, store
from services.intake.app_context import IntakeContext
from services.intake.servicer import request_to_proto


def on_contract_concluded(ctx: IntakeContext, envelope: events_pb2.EventEnvelope) -> None:
    """Issues the contract's data requests; replaying the event issues nothing new."""
    contract = envelope.contract_concluded.contract
    issued_at = ctx.clock()
    with ctx.engine.begin() as conn:
        for index, target in enumerate(contract.targets):
            registered = store.get_file(conn, target.file_id)
            if registered is None or registered.entry.municipality_code != target.municipality_code:
                raise FailedPrecondition(f"targets[{index}]: the file is not in that municipality's register")
            request_id = domain.request_id_for(contract.contract_id, target.municipality_code, target.file_id)
            created = store.insert_request_if_new(
                conn, request_id=request_id, contract_id=contract.contract_id,
                municipality_code=target.municipality_code, file_id=target.file_id,
                business_id=contract.business_id, purpose=contract.purpose, items=list(target.items),
                degrees=dict(target.degrees), anonymity=contract.anonymity.SerializeToString(),
                management_measures=contract.conditions.safety_measures, issued_at=issued_at,
                deadline=domain.deadline_for(issued_at, ctx.settings.request_days))
            if created:
                issued = events_pb2.DataRequestIssued(request=request_to_proto(store.get_request(conn, request_id)))
                ctx.outbox.add(conn, new_envelope(issued, key=contract.contract_id, producer="intake"))
                ctx.audit.record(conn, "service:intake", "issue_data_request", "data_request", request_id)
    ctx.changes.notify()
