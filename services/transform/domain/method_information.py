"""Processing-method information (加工方法等情報): what would let someone undo the processing.

It is kept apart from the report and never rendered into it; its leak is a leak incident.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .policy import Policy


@dataclass(frozen=True)
class MethodInformation:
    """The bound policy (params, thresholds, kept categories) and the job's secret key, for secure storage only."""

    job_id: str
    policy: Policy
    secret_key: bytes = field(repr=False)
    reference_date: dt.date
    seed: int | None = None
