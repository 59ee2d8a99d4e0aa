"""Review's event handlers: read models of what other services know and screening needs —
register entries (intake), open data requests per municipality (intake: issued, then answered by an
extract or declined), created datasets (transform). Each is idempotent: replaying an event leaves the same rows."""
from __future__ import annotations

from sqlalchemy import Engine

from services.common.pb.sakusei.v1 import common_pb2, events_pb2, intake_pb2
from services.review import store
from services.review.domain.registers import Item, RegisteredFile

DECLINED = intake_pb2.DATA_REQUEST_STATE_DECLINED


def registered_file(entry) -> RegisteredFile:
    items = tuple(Item(i.name, common_pb2.ItemType.Name(i.type).removeprefix("ITEM_TYPE_"),
                       common_pb2.ItemRole.Name(i.role).removeprefix("ITEM_ROLE_")) for i in entry.items)
    return RegisteredFile(entry.file_id, entry.municipality_code, entry.file_name, entry.purpose, items,
                          entry.number_of_persons, entry.proposals_invited)


def on_event(engine: Engine, envelope: events_pb2.EventEnvelope) -> None:
    kind = envelope.WhichOneof("payload")
    with engine.begin() as conn:
        if kind == "file_registered":
            store.upsert_file(conn, registered_file(envelope.file_registered.entry))
        elif kind == "data_request_issued":
            request = envelope.data_request_issued.request
            store.request_seen(conn, request.request_id, request.municipality_code, is_open=True)
        elif kind == "extract_received":
            received = envelope.extract_received
            store.request_seen(conn, received.request_id, received.municipality_code, is_open=False)
        elif kind == "data_request_answered" and envelope.data_request_answered.request.state == DECLINED:
            request = envelope.data_request_answered.request
            store.request_seen(conn, request.request_id, request.municipality_code, is_open=False)
        elif kind == "dataset_created":
            created = envelope.dataset_created
            store.add_dataset(conn, created.dataset_id, created.contract_id, created.number_of_persons)
