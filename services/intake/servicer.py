"""IntakeService over gRPC: translates messages to domain calls and back."""
from __future__ import annotations

import json
import uuid
from typing import Iterator

from services.common import metrics
from services.common.artifacts import EXTRACTS, ArtifactStore, object_key
from services.common.bus import new_envelope
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.grpc_edge import rpc
from services.common.identity import Actor, Role, TokenVerifier
from services.common.pb.sakusei.v1 import common_pb2, events_pb2, intake_pb2, intake_pb2_grpc
from services.intake import domain, store
from services.intake.app_context import IntakeContext


def entry_to_proto(file_id: str, entry: domain.RegisterEntry) -> intake_pb2.FileRegisterEntry:
    items = [common_pb2.RecordItem(name=i.name, type=common_pb2.ItemType.Value(f"ITEM_TYPE_{i.type}"),
                                   role=common_pb2.ItemRole.Value(f"ITEM_ROLE_{i.role}")) for i in entry.items]
    return intake_pb2.FileRegisterEntry(
        file_id=file_id, municipality_code=entry.municipality_code, file_name=entry.file_name,
        purpose=entry.purpose, items=items, number_of_persons=entry.number_of_persons,
        proposals_invited=entry.proposals_invited)


def _item_from_proto(item: common_pb2.RecordItem) -> domain.Item:
    kind = common_pb2.ItemType.Name(item.type).removeprefix("ITEM_TYPE_")
    role = common_pb2.ItemRole.Name(item.role).removeprefix("ITEM_ROLE_")
    return domain.Item(item.name, kind, role)


def request_to_proto(row) -> intake_pb2.DataRequest:
    message = intake_pb2.DataRequest(
        request_id=row.request_id, contract_id=row.contract_id, municipality_code=row.municipality_code,
        file_id=row.file_id, business_id=row.business_id, purpose=row.purpose, items=json.loads(row.items),
        state=intake_pb2.DataRequestState.Value(f"DATA_REQUEST_STATE_{row.state}"))
    message.issued_at.FromDatetime(row.issued_at)
    return message


class IntakeServicer(intake_pb2_grpc.IntakeServiceServicer):
    def __init__(self, ctx: IntakeContext, verifier: TokenVerifier, artifacts: ArtifactStore):
        self.ctx, self.verifier, self.artifacts = ctx, verifier, artifacts

    @rpc(Role.MUNICIPALITY)
    def RegisterFile(self, request, context, actor: Actor):
        if not request.client_request_id:
            raise InvalidArgument("client_request_id", "must be set")
        entry = domain.RegisterEntry(actor.id, request.file_name, request.purpose,
                                     tuple(_item_from_proto(i) for i in request.items), request.number_of_persons,
                                     request.proposals_invited)
        domain.validate_entry(entry)
        with self.ctx.engine.begin() as conn:
            existing = store.find_file_by_client_request(conn, actor.id, request.client_request_id)
            if existing is not None:
                return entry_to_proto(existing.file_id, existing.entry)
            file_id = str(uuid.uuid4())
            store.insert_file(conn, file_id, request.client_request_id, entry)
            self.ctx.audit.record(conn, actor, "register_file", "file", file_id)
        return entry_to_proto(file_id, entry)

    @rpc(Role.MUNICIPALITY)
    def ListDataRequests(self, request, context, actor: Actor):
        with self.ctx.engine.connect() as conn:
            rows = store.list_requests(conn, actor.id, request.open_only)
        return intake_pb2.ListDataRequestsResponse(requests=[request_to_proto(r) for r in rows])

    @rpc(Role.MUNICIPALITY)
    def PushExtract(self, request_iterator, context, actor: Actor):
        header = _read_header(request_iterator)
        domain.validate_header(header, self.ctx.max_extract_bytes)
        with self.ctx.engine.connect() as conn:
            row = store.get_request(conn, header.request_id)
        if row is None:
            raise NotFound("header.request_id: no such data request")
        domain.check_push_allowed(row.municipality_code, row.state, actor.id)
        extract_id = str(uuid.uuid4())
        key = object_key("extract", header.request_id, extract_id, suffix=".csv")
        ref = self.artifacts.put_stream(EXTRACTS, key, _chunks(request_iterator), sha256=header.sha256,
                                        size=header.size_bytes, max_size=self.ctx.max_extract_bytes)
        try:
            self._record_extract(actor, row, extract_id, header, ref)
        except BaseException:
            self.artifacts.delete(EXTRACTS, key)
            raise
        metrics.extracts_received.add(1, {"municipality": actor.id})
        metrics.extract_bytes_received.add(ref.size_bytes, {"municipality": actor.id})
        return intake_pb2.PushExtractResponse(extract_id=extract_id, sha256=ref.sha256, size_bytes=ref.size_bytes,
                                              row_count=header.row_count)

    def _record_extract(self, actor: Actor, row, extract_id: str, header: domain.PushHeader,
                        ref: common_pb2.ArtifactRef) -> None:
        with self.ctx.engine.begin() as conn:
            if not store.fulfil_request(conn, row.request_id, extract_id):
                raise FailedPrecondition("this data request is not open")
            store.insert_extract(conn, extract_id=extract_id, request_id=row.request_id, bucket=ref.bucket,
                                 object_key=ref.key, sha256=ref.sha256, size_bytes=ref.size_bytes,
                                 row_count=header.row_count, encoding=header.encoding)
            registered = store.get_file(conn, row.file_id)
            progress = store.contract_progress(conn, row.contract_id)
            event = events_pb2.ExtractReceived(
                extract_id=extract_id, request_id=row.request_id, contract_id=row.contract_id,
                municipality_code=row.municipality_code, file_id=row.file_id, artifact=ref,
                items=entry_to_proto(row.file_id, registered.entry).items, row_count=header.row_count,
                encoding=header.encoding, format=common_pb2.EXTRACT_FORMAT_CSV,
                contract_progress=[events_pb2.RequestProgress(request_id=r, extract_id=e) for r, e in progress])
            self.ctx.outbox.add(conn, new_envelope(event, key=row.contract_id, producer="intake"))
            self.ctx.audit.record(conn, actor, "push_extract", "extract", extract_id)


def _read_header(messages: Iterator[intake_pb2.PushExtractRequest]) -> domain.PushHeader:
    first = next(messages, None)
    if first is None or first.WhichOneof("part") != "header":
        raise InvalidArgument("header", "the first message of a push must be the header")
    h = first.header
    if h.format != common_pb2.EXTRACT_FORMAT_CSV:
        raise InvalidArgument("header.format", "must be CSV")
    return domain.PushHeader(h.request_id, h.encoding, h.row_count, h.sha256, h.size_bytes)


def _chunks(messages: Iterator[intake_pb2.PushExtractRequest]) -> Iterator[bytes]:
    for index, message in enumerate(messages, start=1):
        if message.WhichOneof("part") != "chunk":
            raise InvalidArgument(f"message {index}", "only the first message may be a header")
        yield message.chunk
