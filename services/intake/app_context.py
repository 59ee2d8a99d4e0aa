"""What intake's servicer, handlers and sweeper share: its database, outbox, audit trail, settings,
clock, and the signal that its data requests changed."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import Engine

from services.common.audit import AuditTrail
from services.common.outbox import Outbox
from services.intake import domain
from services.intake.uploads import DEFAULT_PART_SIZE


@dataclass(frozen=True)
class IntakeSettings:
    """Limits and periods, configurable through SAKUSEI_INTAKE_* variables read when the service starts."""

    max_extract_bytes: int = domain.DEFAULT_MAX_EXTRACT_BYTES
    request_days: int = domain.DEFAULT_REQUEST_DAYS
    max_problems: int = domain.DEFAULT_MAX_PROBLEMS
    part_size: int = DEFAULT_PART_SIZE
    sweep_interval_s: float = 3600.0
    upload_idle_s: float = 24 * 3600.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "IntakeSettings":
        env = dict(os.environ if env is None else env)
        return cls(
            max_extract_bytes=int(env.get("SAKUSEI_INTAKE_MAX_EXTRACT_BYTES", cls.max_extract_bytes)),
            request_days=int(env.get("SAKUSEI_INTAKE_REQUEST_DAYS", cls.request_days)),
            max_problems=int(env.get("SAKUSEI_INTAKE_MAX_PROBLEMS", cls.max_problems)),
            sweep_interval_s=float(env.get("SAKUSEI_INTAKE_SWEEP_SECONDS", cls.sweep_interval_s)),
            upload_idle_s=float(env.get("SAKUSEI_INTAKE_UPLOAD_IDLE_SECONDS", cls.upload_idle_s)),
        )


class Changes:
    """A version number bumped whenever data requests change, to wake watchers without polling hot."""

    def __init__(self):
        self._condition = threading.Condition()
        self.version = 0

    def notify(self) -> None:
        with self._condition:
            self.version += 1
            self._condition.notify_all()

    def wait_after(self, version: int, timeout_s: float) -> int:
        with self._condition:
            self._condition.wait_for(lambda: self.version != version, timeout_s)
            return self.version


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class IntakeContext:
    engine: Engine
    outbox: Outbox
    audit: AuditTrail
    settings: IntakeSettings = IntakeSettings()
    changes: Changes = field(default_factory=Changes)
    clock: Callable[[], datetime] = utc_now
