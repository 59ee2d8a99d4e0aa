"""What intake's servicer and handlers share: its database, outbox, audit trail and limits."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from services.common.audit import AuditTrail
from services.common.outbox import Outbox


@dataclass(frozen=True)
class IntakeContext:
    engine: Engine
    outbox: Outbox
    audit: AuditTrail
    max_extract_bytes: int
