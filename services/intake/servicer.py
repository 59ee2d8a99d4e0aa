"""IntakeService over gRPC: translates messages to domain calls and back."""
from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from typing import Iterator

import grpc

from services.common.artifacts import ArtifactStore
from services.common.bus import new_envelope
from services.common.errors import DomainError, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from services.common.grpc_edge import rpc, streaming_rpc
from services.common.identity import Actor, Role, TokenVerifier
from services.common.pb.sakusei.v1 import common_pb2, events_pb2, intake_pb2, intake_pb2_grpc
from services.intake import domain, store
from services.intake.app_context import IntakeContext
from services.intake.messages import (entry_to_proto, header_from_proto, item_from_proto, receipt_to_proto,
                                      request_to_proto)
from services.intake.pushes import Pushes
from services.intake.uploads import StreamBroken, Uploads

__all__ = ["IntakeServicer", "entry_to_proto", "request_to_proto"]

WATCH_POLL_S = 2.0        # also catches requests issued by another replica of intake
WATCH_LONGEST_S = 3600.0  # a watch ends after this even if its caller set no deadline


class IntakeServicer(intake_pb2_grpc.IntakeServiceServicer):
    def __init__(self, ctx: IntakeContext, verifier: TokenVerifier, artifacts: ArtifactStore,
                 uploads: Uploads | None = None):
        self.ctx, self.verifier, self.artifacts = ctx, verifier, artifacts
        self.pushes = Pushes(ctx, artifacts, uploads or Uploads())

    @rpc(Role.MUNICIPALITY)
    def RegisterFile(self, request, context, actor: Actor):
        if not request.client_request_id:
            raise InvalidArgument("client_request_id", "must be set")
        entry = domain.RegisterEntry(actor.id, request.file_name, request.purpose,
                                     tuple(item_from_proto(i) for i in request.items), request.number_of_persons,
                                     request.proposals_invited)
        domain.validate_entry(entry)
        with self.ctx.engine.begin() as conn:
            existing = store.find_file_by_client_request(conn, actor.id, request.client_request_id)
            if existing is not None:
                return entry_to_proto(existing.file_id, existing.entry)
            file_id = str(uuid.uuid4())
            store.insert_file(conn, file_id, request.client_request_id, entry)
            self.ctx.audit.record(conn, actor, "register_file", "file", file_id)
            registered = events_pb2.FileRegistered(entry=entry_to_proto(file_id, entry))
            self.ctx.outbox.add(conn, new_envelope(registered, key=file_id, producer="intake"))
        return entry_to_proto(file_id, entry)

    @rpc(Role.MUNICIPALITY)
    def ListDataRequests(self, request, context, actor: Actor):
        with self.ctx.engine.connect() as conn:
            rows = store.list_requests(conn, actor.id, request.open_only)
        return intake_pb2.ListDataRequestsResponse(requests=[request_to_proto(r) for r in rows])

    @rpc(Role.MUNICIPALITY)
    def GetDataRequest(self, request, context, actor: Actor):
        with self.ctx.engine.connect() as conn:
            row = self._own_request(conn, request.request_id, actor)
            registered = store.get_file(conn, row.file_id)
        return intake_pb2.GetDataRequestResponse(request=request_to_proto(row),
                                                 file=entry_to_proto(row.file_id, registered.entry))

    @streaming_rpc(Role.MUNICIPALITY)
    def WatchDataRequests(self, request, context, actor: Actor):
        """Open requests now, then each new one; wakes on a change or every few seconds, and ends
        with the call (deadline, cancellation) or after WATCH_LONGEST_S."""
        sent: set[str] = set()
        ends = time.monotonic() + WATCH_LONGEST_S
        while context.is_active() and time.monotonic() < ends:
            version = self.ctx.changes.version
            with self.ctx.engine.connect() as conn:
                rows = [r for r in store.list_requests(conn, actor.id, open_only=True) if r.request_id not in sent]
            for row in rows:
                sent.add(row.request_id)
                yield request_to_proto(row)
            self.ctx.changes.wait_after(version, WATCH_POLL_S)

    @rpc(Role.MUNICIPALITY)
    def AnswerDataRequest(self, request, context, actor: Actor):
        answer = intake_pb2.Answer.Name(request.answer).removeprefix("ANSWER_")
        with self.ctx.engine.begin() as conn:
            row = self._own_request(conn, request.request_id, actor)
            state = domain.answer_request(row.state, answer, request.reason)
            if not store.answer_request(conn, row.request_id, state, request.reason.strip(), self.ctx.clock()):
                raise FailedPrecondition("this data request was answered meanwhile")
            answered = request_to_proto(store.get_request(conn, row.request_id))
            event = events_pb2.DataRequestAnswered(request=answered)
            self.ctx.outbox.add(conn, new_envelope(event, key=row.contract_id, producer="intake"))
            self.ctx.audit.record(conn, actor, f"{answer.lower()}_data_request", "data_request", row.request_id)
        self.ctx.changes.notify()
        return answered

    @rpc(Role.MUNICIPALITY)
    def InitPush(self, request, context, actor: Actor):
        with self._refusals_audited(actor, request.request_id):
            session = self.pushes.open(actor, _checked_header(request))
        return intake_pb2.PushState(upload_id=session.upload_id, offset=0, part_size=session.part_size)

    @rpc(Role.MUNICIPALITY)
    def PushStatus(self, request, context, actor: Actor):
        session = self.pushes.status(actor, request.upload_id)
        return intake_pb2.PushState(upload_id=session.upload_id, offset=session.offset, part_size=session.part_size)

    @rpc(Role.MUNICIPALITY)
    def PushExtract(self, request_iterator, context, actor: Actor):
        first = next(request_iterator, None)
        if first is None or first.WhichOneof("part") != "header":
            raise InvalidArgument("header", "the first message of a push must be the header")
        with self._refusals_audited(actor, first.header.request_id):
            if first.header.upload_id:
                session = self.pushes.status(actor, first.header.upload_id)
                if first.header.request_id not in ("", session.header.request_id):
                    raise InvalidArgument("header.request_id", "not the request of this upload")
                self.pushes.uploads.acquire(session, first.header.offset)
            else:
                session = self.pushes.open(actor, _checked_header(first.header))
                session.lock.acquire()
            return self.pushes.push(actor, session, _chunks(request_iterator),
                                    resumable=bool(first.header.upload_id))

    @rpc(Role.AUDITOR)
    def ListReceiptRecords(self, request, context, actor: Actor):
        with self.ctx.engine.connect() as conn:
            rows = store.list_receipts(conn, request.municipality_code)
        self.ctx.audit.record_now(actor, "list_receipt_records", "receipt_record", request.municipality_code or "all")
        return intake_pb2.ListReceiptRecordsResponse(records=[receipt_to_proto(r) for r in rows])

    @contextmanager
    def _refusals_audited(self, actor: Actor, request_id: str):
        """A refused push is recorded with its status; a broken stream is no refusal."""
        try:
            yield
        except StreamBroken:
            raise
        except DomainError as refused:
            self.ctx.audit.record_now(actor, "push_extract", "data_request", request_id or "-",
                                      outcome=refused.code_name)
            raise

    @staticmethod
    def _own_request(conn, request_id: str, actor: Actor):
        row = store.get_request(conn, request_id)
        if row is None:
            raise NotFound("request_id: no such data request")
        if row.municipality_code != actor.id:
            raise PermissionDenied("this data request is addressed to another municipality")
        return row


def _checked_header(h: intake_pb2.ExtractHeader) -> domain.PushHeader:
    if h.format != common_pb2.EXTRACT_FORMAT_CSV:
        raise InvalidArgument("header.format", "must be CSV")
    if h.offset:
        raise InvalidArgument("header.offset", "a new push starts at offset 0")
    return header_from_proto(h)


def _chunks(messages: Iterator[intake_pb2.PushExtractRequest]) -> Iterator[bytes]:
    """The chunks of a push; a stream that breaks off becomes StreamBroken, which a resumable push survives."""
    try:
        for index, message in enumerate(messages, start=1):
            if message.WhichOneof("part") != "chunk":
                raise InvalidArgument(f"message {index}", "only the first message may be a header")
            yield message.chunk
    except grpc.RpcError:
        raise StreamBroken() from None
