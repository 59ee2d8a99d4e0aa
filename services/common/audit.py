"""The audit trail: who did what to which object, and when — never the data itself.

Records go through the service's outbox, in the same transaction as the change they record,
to the topic sakusei.audit.recorded.
"""
from __future__ import annotations

from sqlalchemy import Connection

from services.common.bus import new_envelope
from services.common.identity import Actor
from services.common.outbox import Outbox
from services.common.pb.sakusei.v1 import events_pb2


class AuditTrail:
    def __init__(self, service: str, outbox: Outbox):
        self.service, self.outbox = service, outbox

    def record(self, conn: Connection, actor: Actor | str, action: str, object_type: str, object_id: str,
               outcome: str = "ok") -> None:
        entry = events_pb2.AuditRecorded(actor=str(actor), action=action, object_type=object_type,
                                         object_id=object_id, outcome=outcome, service=self.service)
        entry.at.GetCurrentTime()
        self.outbox.add(conn, new_envelope(entry, key=object_id or action, producer=self.service))

    def record_now(self, actor: Actor | str, action: str, object_type: str, object_id: str,
                   outcome: str = "ok") -> None:
        """Records an action that changes no state of this service (a read, a refusal)."""
        with self.outbox.engine.begin() as conn:
            self.record(conn, actor, action, object_type, object_id, outcome)
