"""Contract rules over plain data: the terms an operator records, and the terms a proposal leads to."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from services.common.codes import is_municipality_code
from services.common.errors import FailedPrecondition, InvalidArgument

_BUSINESS_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_MAX_DOWNLOADS = 3


@dataclass(frozen=True)
class Target:
    municipality_code: str
    file_id: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class ContractTerms:
    business_id: str
    purpose: str
    targets: tuple[Target, ...]
    period_start: datetime
    period_end: datetime
    max_downloads: int


def validate_terms(terms: ContractTerms) -> None:
    if not _BUSINESS_ID.match(terms.business_id):
        raise InvalidArgument("business_id", "must be a business id (letters, digits, '.', '_', '-')")
    if not terms.purpose.strip():
        raise InvalidArgument("purpose", "must not be empty")
    if not terms.targets:
        raise InvalidArgument("targets", "a contract draws on at least one municipality's file")
    for index, target in enumerate(terms.targets):
        if not is_municipality_code(target.municipality_code):
            raise InvalidArgument(f"targets[{index}].municipality_code", "not a valid local government code")
        if not target.file_id:
            raise InvalidArgument(f"targets[{index}].file_id", "must be set")
        if not target.items:
            raise InvalidArgument(f"targets[{index}].items", "at least one item is wanted")
    if terms.period_end <= terms.period_start:
        raise InvalidArgument("period_end", "must be after period_start")
    if terms.max_downloads < 1:
        raise InvalidArgument("max_downloads", "must be at least 1")


MAX_K = 1_000


@dataclass(frozen=True)
class AnonymityTarget:
    """Art. 11 measure 5 as the organization sets it for a contract's files (0: not enforced)."""

    k: int = 0
    suppression_limit_pct: float = 0.0
    distinct_l: tuple[tuple[str, int], ...] = ()


def validate_anonymity(target: AnonymityTarget, items: set[str], field: str = "anonymity") -> None:
    """k is 0 or 2..MAX_K; the suppression limit a percentage; l-diversity only with k, on wanted items."""
    if target.k == 1 or target.k > MAX_K:
        raise InvalidArgument(f"{field}.k", f"must be 0 (not enforced) or from 2 to {MAX_K}")
    if not 0.0 <= target.suppression_limit_pct <= 100.0:
        raise InvalidArgument(f"{field}.suppression_limit_pct", "must be from 0 to 100")
    for index, (item, l) in enumerate(target.distinct_l):
        where = f"{field}.distinct_l[{index}]"
        if not target.k:
            raise InvalidArgument(where, "l-diversity needs a k target")
        if item not in items:
            raise InvalidArgument(f"{where}.item", "must be one of the contract's items")
        if not 2 <= l <= target.k:
            raise InvalidArgument(f"{where}.l", "must be from 2 to k")


def check_application(now: datetime, deadline: datetime) -> None:
    """The application (Form 4) is due by the date the approval notice set."""
    if now > deadline:
        raise FailedPrecondition("the deadline for applying for the contract, set in the approval notice, has passed")


def check_payment(amount_yen: int, total_yen: int) -> None:
    if amount_yen != total_yen:
        raise InvalidArgument("amount_yen", "must be the fee stated in the approval notice")


def ready_to_conclude(applied: bool, paid: bool) -> bool:
    """Art. 10: the contract is concluded by the application documents, once the fee is paid."""
    return applied and paid
