"""What delivery's use cases need from the process: state, outbox, audit, artifacts, key and clock."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import Connection, Engine

from services.common.artifacts import ArtifactStore
from services.common.audit import AuditTrail
from services.common.bus import new_envelope
from services.common.outbox import Outbox


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class DeliveryContext:
    engine: Engine
    outbox: Outbox
    audit: AuditTrail
    artifacts: ArtifactStore
    fingerprint_key: bytes = field(repr=False)
    clock: Callable[[], datetime] = utc_now

    def emit(self, conn: Connection, payload, key: str, correlation_id: str = "") -> None:
        """Queues an event in the caller's transaction (outbox)."""
        self.outbox.add(conn, new_envelope(payload, key=key, producer="delivery", correlation_id=correlation_id))
