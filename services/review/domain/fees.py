"""The fee a business pays for new information (notified in Form 3): a base amount, an amount per
started hour of the estimated processing work, and what outsourcing costs. The schedule is data so
an organization can set its own amounts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common.errors import InvalidArgument


@dataclass(frozen=True)
class FeeSchedule:
    base_yen: int = 21_000
    hourly_yen: int = 3_950
    payment_days: int = 30
    payment_method: str = "納付書による銀行振込（収入印紙による納付も可）"


@dataclass(frozen=True)
class Fee:
    base_yen: int
    work_hours: int
    hourly_yen: int
    outsourcing_yen: int
    total_yen: int
    payment_method: str
    payment_deadline: datetime


def quote(schedule: FeeSchedule, work_minutes: int, outsourcing_yen: int, noticed_at: datetime) -> Fee:
    """Every started hour counts as a whole one."""
    if work_minutes < 0:
        raise InvalidArgument("estimated_work_minutes", "must not be negative")
    if outsourcing_yen < 0:
        raise InvalidArgument("outsourcing_yen", "must not be negative")
    hours = -(-work_minutes // 60)
    total = schedule.base_yen + hours * schedule.hourly_yen + outsourcing_yen
    return Fee(schedule.base_yen, hours, schedule.hourly_yen, outsourcing_yen, total, schedule.payment_method,
               noticed_at + timedelta(days=schedule.payment_days))
