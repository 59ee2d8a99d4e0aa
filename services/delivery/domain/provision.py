"""Third-party provision records (date, recipient, items, number of persons), kept three years.

The records name ids only, never data. Three years is the common retention of provision records
(seed 004); a record is deleted automatically once it is older than that.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

RETENTION_YEARS = 3


@dataclass(frozen=True)
class ProvisionRecord:
    record_id: str
    provided_at: datetime
    recipient: str
    dataset_id: str
    contract_id: str
    items: tuple[str, ...]
    number_of_persons: int
    package_sha256: str
    resumed: bool


def delete_after(provided_at: datetime) -> datetime:
    """Three calendar years after provision (29 February counts to 28 February)."""
    year = provided_at.year + RETENTION_YEARS
    try:
        return provided_at.replace(year=year)
    except ValueError:
        return provided_at.replace(year=year, day=28)


def expired(provided_at: datetime, now: datetime) -> bool:
    return now >= delete_after(provided_at)
