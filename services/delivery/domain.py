"""Who may pull what, and when: the provision rules of a contract, over plain data."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.common.errors import FailedPrecondition, PermissionDenied


@dataclass(frozen=True)
class ContractTerms:
    contract_id: str
    business_id: str
    period_start: datetime
    period_end: datetime
    max_downloads: int
    downloads: int


def check_pull(terms: ContractTerms, business_id: str, now: datetime) -> None:
    if terms.business_id != business_id:
        raise PermissionDenied("this dataset is provided under another business's contract")
    if now < terms.period_start:
        raise FailedPrecondition("the contract period has not begun")
    if now >= terms.period_end:
        raise FailedPrecondition("the contract period has ended")
    if terms.downloads >= terms.max_downloads:
        raise FailedPrecondition(f"the contract's {terms.max_downloads} downloads have been used")
