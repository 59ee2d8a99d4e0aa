"""Pushes of extracts: opening an upload for a request, taking streams of bytes into it, and —
once the extract is whole, hashed and valid — recording it, its receipt record and its event in
one transaction. A refused or failed push leaves nothing stored and the request still open."""
from __future__ import annotations

import json
import uuid
from typing import Iterable

from services.common import metrics
from services.common.artifacts import EXTRACTS, ArtifactStore, object_key
from services.common.bus import new_envelope
from services.common.errors import DataLoss, FailedPrecondition, NotFound
from services.common.identity import Actor
from services.common.pb.sakusei.v1 import common_pb2, events_pb2, intake_pb2
from services.intake import domain, store
from services.intake.app_context import IntakeContext
from services.intake.messages import entry_to_proto
from services.intake.uploads import StreamBroken, Uploads, UploadSession
from services.intake.validation import ExtractValidator


class Pushes:
    def __init__(self, ctx: IntakeContext, artifacts: ArtifactStore, uploads: Uploads):
        self.ctx, self.artifacts, self.uploads = ctx, artifacts, uploads

    def open(self, actor: Actor, header: domain.PushHeader) -> UploadSession:
        """Checks the header against the request and opens an upload, with a row that lets its parts
        be aborted even if this process dies."""
        domain.validate_header(header, self.ctx.settings.max_extract_bytes)
        with self.ctx.engine.connect() as conn:
            row = store.get_request(conn, header.request_id)
            registered = store.get_file(conn, row.file_id) if row is not None else None
        if row is None:
            raise NotFound("header.request_id: no such data request")
        domain.check_push_allowed(row.municipality_code, row.state, actor.id, store.utc(row.deadline),
                                  self.ctx.clock())
        extract_id = str(uuid.uuid4())
        validator = ExtractValidator(registered.entry.items, json.loads(row.items), header.encoding,
                                     self.ctx.settings.max_problems)
        session = UploadSession(str(uuid.uuid4()), actor.id, EXTRACTS,
                                object_key("extract", header.request_id, extract_id, suffix=".csv"), extract_id,
                                header, validator, self.artifacts, self.ctx.settings.max_extract_bytes,
                                self.ctx.settings.part_size)
        session.begin()
        with self.ctx.engine.begin() as conn:
            store.insert_upload(conn, upload_id=session.upload_id, request_id=header.request_id,
                                municipality_code=actor.id, bucket=EXTRACTS, object_key=session.key,
                                store_upload_id=session.store_upload_id, created_at=self.ctx.clock())
            self.ctx.audit.record(conn, actor, "open_upload", "data_request", header.request_id)
        self.uploads.add(session)
        return session

    def status(self, actor: Actor, upload_id: str) -> UploadSession:
        """The session to resume; an upload this process no longer holds (it restarted) is aborted."""
        session = self.uploads.get(upload_id)
        if session is None or session.municipality_code != actor.id:
            self._abort_orphan(actor, upload_id)
            raise NotFound("upload_id: no such upload in progress; start a new push")
        return session

    def push(self, actor: Actor, session: UploadSession, chunks: Iterable[bytes],
             resumable: bool) -> intake_pb2.PushExtractResponse:
        """Takes one stream; the session must have been acquired for it."""
        try:
            complete = self._receive(session, chunks, resumable)
        finally:
            session.lock.release()
        if not complete:
            if resumable:
                raise FailedPrecondition(f"the stream ended early; resume from offset {session.offset}")
            self.discard(session)
            raise DataLoss(f"received {session.stored} bytes, {session.header.size_bytes} declared; "
                           "nothing was stored")
        try:
            ref, rows = session.finish()
        except BaseException:
            self.discard(session)
            raise
        self._forget(session)
        try:
            self._record(actor, session, ref, rows)
        except BaseException:
            self.artifacts.delete(EXTRACTS, session.key)
            raise
        metrics.extracts_received.add(1, {"municipality": actor.id})
        metrics.extract_bytes_received.add(ref.size_bytes, {"municipality": actor.id})
        return intake_pb2.PushExtractResponse(extract_id=session.extract_id, sha256=ref.sha256,
                                              size_bytes=ref.size_bytes, row_count=rows)

    def _receive(self, session: UploadSession, chunks: Iterable[bytes], resumable: bool) -> bool:
        """A broken stream keeps a resumable session where it stood; anything else discards it."""
        try:
            return session.receive(chunks)
        except StreamBroken:
            if session.broken or not resumable:
                self.discard(session)
            raise
        except BaseException:
            self.discard(session)
            raise

    def discard(self, session: UploadSession) -> None:
        """Aborts the upload: its parts are deleted and nothing becomes visible."""
        session.abort()
        self._forget(session)

    def _forget(self, session: UploadSession) -> None:
        session.close()
        self.uploads.remove(session.upload_id)
        with self.ctx.engine.begin() as conn:
            store.delete_upload(conn, session.upload_id)

    def _abort_orphan(self, actor: Actor, upload_id: str) -> None:
        with self.ctx.engine.begin() as conn:
            row = store.get_upload(conn, upload_id)
            if row is None or row.municipality_code != actor.id:
                return
            self.artifacts.abort_upload(row.bucket, row.object_key, row.store_upload_id)
            store.delete_upload(conn, upload_id)

    def sweep(self) -> int:
        """Aborts uploads idle too long, and those left by an earlier run of this process."""
        idle = self.uploads.idle(self.ctx.settings.upload_idle_s)
        for session in idle:
            self.discard(session)
        with self.ctx.engine.begin() as conn:
            orphans = [r for r in store.list_uploads(conn) if self.uploads.get(r.upload_id) is None]
            for row in orphans:
                self.artifacts.abort_upload(row.bucket, row.object_key, row.store_upload_id)
                store.delete_upload(conn, row.upload_id)
        return len(idle) + len(orphans)

    def _record(self, actor: Actor, session: UploadSession, ref: common_pb2.ArtifactRef, rows: int) -> None:
        header, now = session.header, self.ctx.clock()
        with self.ctx.engine.begin() as conn:
            row = store.get_request(conn, header.request_id)
            if not store.fulfil_request(conn, row.request_id, session.extract_id):
                raise FailedPrecondition("this data request is no longer open")
            store.insert_extract(conn, extract_id=session.extract_id, request_id=row.request_id, bucket=ref.bucket,
                                 object_key=ref.key, sha256=ref.sha256, size_bytes=ref.size_bytes, row_count=rows,
                                 encoding=header.encoding, received_at=now)
            receipt_id = str(uuid.uuid4())
            store.insert_receipt(conn, list(session.validator.columns), receipt_id=receipt_id, received_at=now,
                                 municipality_code=row.municipality_code, request_id=row.request_id,
                                 contract_id=row.contract_id, extract_id=session.extract_id, number_of_persons=rows)
            self.ctx.outbox.add(conn, new_envelope(self._event(conn, row, session, ref, rows), key=row.contract_id,
                                                   producer="intake"))
            self.ctx.audit.record(conn, actor, "push_extract", "extract", session.extract_id)
            self.ctx.audit.record(conn, "service:intake", "record_receipt", "receipt_record", receipt_id)
        self.ctx.changes.notify()

    @staticmethod
    def _event(conn, row, session: UploadSession, ref: common_pb2.ArtifactRef, rows: int) -> events_pb2.ExtractReceived:
        registered = store.get_file(conn, row.file_id)
        progress = store.contract_progress(conn, row.contract_id)
        return events_pb2.ExtractReceived(
            extract_id=session.extract_id, request_id=row.request_id, contract_id=row.contract_id,
            municipality_code=row.municipality_code, file_id=row.file_id, artifact=ref,
            items=entry_to_proto(row.file_id, registered.entry).items, row_count=rows,
            encoding=session.header.encoding, format=common_pb2.EXTRACT_FORMAT_CSV,
            contract_progress=[events_pb2.RequestProgress(request_id=r, extract_id=e) for r, e in progress],
            requested_items=json.loads(row.items), requested_degrees=json.loads(row.degrees),
            file_name=registered.entry.file_name,
            anonymity=common_pb2.AnonymityTarget.FromString(row.anonymity or b""))
