"""Who may pull what, and when: the provision rules of a contract, over plain data."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common.errors import FailedPrecondition, PermissionDenied

ACTIVE, CANCELLED, ENDED = "active", "cancelled", "ended"
RESUME_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class ContractTerms:
    contract_id: str
    business_id: str
    period_start: datetime
    period_end: datetime
    max_downloads: int
    downloads: int
    status: str = ACTIVE


def check_pull(terms: ContractTerms, business_id: str, now: datetime, new_download: bool = True) -> None:
    """Refuses a pull outside the contract, naming the reason; a resume needs no download left."""
    if terms.business_id != business_id:
        raise PermissionDenied("this dataset is provided under another business's contract")
    if terms.status == CANCELLED:
        raise FailedPrecondition("the contract has been cancelled")
    if now < terms.period_start:
        raise FailedPrecondition("the contract period has not begun")
    if now >= terms.period_end or terms.status == ENDED:
        raise FailedPrecondition("the contract period has ended")
    if new_download and terms.downloads >= terms.max_downloads:
        raise FailedPrecondition(f"the contract's {terms.max_downloads} downloads have been used")


def is_resume(offset: int, last_counted_pull: datetime | None, now: datetime) -> bool:
    """A pull from an offset within a day of a counted pull of the same package continues that
    download instead of counting another; a later one, or one from 0, is a new download."""
    return offset > 0 and last_counted_pull is not None and now - last_counted_pull <= RESUME_WINDOW


def pick_contract(candidates: list[ContractTerms], business_id: str) -> ContractTerms:
    """The business's contract for a dataset, an active one first; another business's: refused."""
    own = [t for t in candidates if t.business_id == business_id]
    if not own:
        raise PermissionDenied("this dataset is provided under another business's contract")
    return sorted(own, key=lambda t: (t.status != ACTIVE, -t.period_end.timestamp()))[0]
