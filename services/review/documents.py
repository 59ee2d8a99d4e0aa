"""Proposal documents and notices in the artifact store (bucket sakusei-documents), keyed by ids
only: `attachment/<proposal id>/<attachment id><suffix>` and `notice/<proposal id>/<notice id>.html`."""
from __future__ import annotations

import hashlib
import uuid

from services.common.artifacts import DOCUMENTS, ArtifactStore, object_key
from services.common.errors import DataLoss
from services.common.pb.sakusei.v1 import review_pb2
from services.review.domain.proposals import CONTENT_TYPES, MAX_DOCUMENT_BYTES


class Documents:
    def __init__(self, store: ArtifactStore):
        self.store = store

    def put_attachments(self, proposal_id: str, attachments) -> list[review_pb2.StoredAttachment]:
        """Stores each upload; if one fails, those already stored are removed."""
        stored: list[review_pb2.StoredAttachment] = []
        try:
            for attachment in attachments:
                stored.append(self._put(proposal_id, attachment))
        except BaseException:
            self.remove(stored)
            raise
        return stored

    def _put(self, proposal_id: str, attachment: review_pb2.Attachment) -> review_pb2.StoredAttachment:
        attachment_id = str(uuid.uuid4())
        key = object_key("attachment", proposal_id, attachment_id, suffix=CONTENT_TYPES[attachment.content_type])
        data = attachment.content
        ref = self.store.put_stream(DOCUMENTS, key, [data], sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                                    max_size=MAX_DOCUMENT_BYTES)
        stored = review_pb2.StoredAttachment(attachment_id=attachment_id, kind=attachment.kind,
                                             content_type=attachment.content_type, artifact=ref,
                                             holder=attachment.holder or "proposer")
        if attachment.HasField("issued_on"):
            stored.issued_on.CopyFrom(attachment.issued_on)
        return stored

    def remove(self, stored) -> None:
        for attachment in stored:
            self.store.delete(attachment.artifact.bucket, attachment.artifact.key)

    def put_notice(self, proposal_id: str, notice_id: str, html: str):
        data = html.encode("utf-8")
        key = object_key("notice", proposal_id, notice_id, suffix=".html")
        return self.store.put_stream(DOCUMENTS, key, [data], sha256=hashlib.sha256(data).hexdigest(), size=len(data))

    def read(self, ref) -> bytes:
        """The stored bytes, checked against the sha256 recorded when they were written."""
        data = b"".join(self.store.read(ref.bucket, ref.key))
        if hashlib.sha256(data).hexdigest() != ref.sha256:
            raise DataLoss("the stored notice does not match its recorded sha256")
        return data
