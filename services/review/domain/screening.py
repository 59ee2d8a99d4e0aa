"""Screening against Act 44-7(1), items 1-7. Items 1, 2, 3, 5 and 7 are checked here from the
proposal, the register entries, the disqualification table and the municipalities' open requests;
items 4 and 6 are a reviewer's judgement, recorded with reasons. A reuse proposal (Act 44-12) is
screened on items 1 and 4-7 only. Each reason is concrete enough to go into a rejection notice."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from services.common.errors import InvalidArgument
from services.review.domain import degrees
from services.review.domain.proposals import (COMPANY, IDENTITY_DOCUMENT, NEW, PLEDGE, POWER_OF_ATTORNEY, Document,
                                              Form)
from services.review.domain.registers import RegisteredFile

MET, NOT_MET, PENDING = "MET", "NOT_MET", "PENDING"
REVIEWER_ITEMS = (4, 6)
SCREENING = "screening"
CONTRACT_CANCELLED, STATUTORY = "CONTRACT_CANCELLED", "STATUTORY"


def _default_periods() -> dict[str, int]:
    return {"research": 5 * 366, "statistics": 3 * 366, "product_development": 3 * 366, "public_service": 5 * 366}


@dataclass(frozen=True)
class ScreeningPolicy:
    """What the organization allows; every number can be set by the operator's configuration."""

    min_persons: int = 1_000  # Art. 5
    max_period_days: Mapping[str, int] = field(default_factory=_default_periods)
    capacity_per_municipality: int = 5
    cancellation_bar: timedelta = timedelta(days=730)
    certificate_age: timedelta = timedelta(days=183)  # Art. 4(4)(ii): issued within 6 months


@dataclass(frozen=True)
class Criterion:
    item: int
    outcome: str
    reason: str
    decided_by: str = SCREENING


@dataclass(frozen=True)
class Disqualified:
    business_id: str
    kind: str
    since: datetime
    until: datetime | None = None

    def applies(self, now: datetime, bar: timedelta) -> bool:
        if self.kind == CONTRACT_CANCELLED:
            return self.since <= now < self.since + bar
        return self.since <= now and (self.until is None or now < self.until)


@dataclass(frozen=True)
class Facts:
    """What screening reads besides the proposal itself."""

    files: Mapping[str, RegisteredFile]
    disqualified: tuple[Disqualified, ...]
    open_requests: Mapping[str, int]  # municipality code → open data requests


def screen(business_id: str, form: Form, documents: tuple[Document, ...], facts: Facts, policy: ScreeningPolicy,
           now: datetime) -> tuple[Criterion, ...]:
    results = [_item_1(business_id, form, documents, facts.disqualified, policy, now)]
    if form.kind == NEW:
        results += [_item_2(form, facts.files, policy), _item_3(form, facts.files)]
    results += [Criterion(4, PENDING, "a reviewer decides"), _item_5(form, policy),
                Criterion(6, PENDING, "a reviewer decides"), _item_7(form, facts.open_requests, policy)]
    return tuple(results)


def _item_1(business_id: str, form: Form, documents: tuple[Document, ...], disqualified: tuple[Disqualified, ...],
            policy: ScreeningPolicy, now: datetime) -> Criterion:
    problems = []
    for entry in disqualified:
        if entry.business_id == business_id and entry.applies(now, policy.cancellation_bar):
            problems.append("the proposer had a contract cancelled within the last 2 years (Act 44-6)"
                            if entry.kind == CONTRACT_CANCELLED else "the proposer is disqualified under Act 44-6")
    if not any(d.kind == PLEDGE for d in documents):
        problems.append("the pledge of non-disqualification (Form 2) is not attached (Art. 4(6))")
    holder = "proxy" if form.proxy is not None else "proposer"
    identity = [d for d in documents if d.kind == IDENTITY_DOCUMENT and d.holder == holder]
    if not identity:
        problems.append(f"no identity document of the {holder} is attached (Art. 4(4))")
    elif (form.proxy or form.proposer).kind == COMPANY and not any(
            d.issued_on is not None and now - d.issued_on <= policy.certificate_age for d in identity):
        problems.append("the registry certificate was not issued within the 6 months before the proposal "
                        "(Art. 4(4)(ii))")
    if form.proxy is not None and not any(d.kind == POWER_OF_ATTORNEY for d in documents):
        problems.append("a proxy proposes but no power of attorney is attached (Art. 4(2))")
    return _result(1, problems, "the proposer is not disqualified and the pledge and identity documents are attached")


def _item_2(form: Form, files: Mapping[str, RegisteredFile], policy: ScreeningPolicy) -> Criterion:
    available = sum(files[t.file_id].number_of_persons for t in form.targets if t.file_id in files)
    problems = []
    if form.persons_wanted < policy.min_persons:
        problems.append(f"{form.persons_wanted:,} persons are wanted; at least {policy.min_persons:,} are required "
                        "(Art. 5)")
    if available < max(form.persons_wanted, policy.min_persons):
        problems.append(f"the {len(form.targets)} selected files hold {available:,} persons in all, fewer than "
                        f"{max(form.persons_wanted, policy.min_persons):,}")
    return _result(2, problems, f"{form.persons_wanted:,} persons wanted; the selected files hold {available:,}")


def _item_3(form: Form, files: Mapping[str, RegisteredFile]) -> Criterion:
    problems = []
    for name, degree in form.items:
        missing = [t.municipality_code for t in form.targets
                   if t.file_id in files and files[t.file_id].item(name) is None]
        if missing:
            problems.append(f"item {name} is not in the register of {', '.join(missing)}")
            continue
        for item in {files[t.file_id].item(name) for t in form.targets if t.file_id in files}:
            problems += _degree_problem(name, degree, item.type, item.role)
    return _result(3, sorted(set(problems), key=problems.index),
                   "every item is in the register and asked for at a degree the processing standard allows")


def _degree_problem(name: str, degree: str, item_type: str, role: str) -> list[str]:
    if role == "IDENTIFICATION_CODE":
        return [f"item {name} is an individual identification code; it is always deleted (Art. 11(ii))"]
    if not degrees.offered(degree, item_type, role):
        return [f"degree {degree} is not offered for item {name} ({role.lower()}, {item_type.lower()}); "
                f"offered: {', '.join(degrees.catalogue(item_type, role))}"]
    return []


def _item_5(form: Form, policy: ScreeningPolicy) -> Criterion:
    days = (form.use.period_end - form.use.period_start).days
    allowed = policy.max_period_days[form.use.purpose_category]
    problems = [] if days <= allowed else [
        f"the period of {days} days is longer than the {allowed} days allowed for {form.use.purpose_category} (Art. 6)"]
    return _result(5, problems, f"the period of {days} days is within the {allowed} days allowed")


def _item_7(form: Form, open_requests: Mapping[str, int], policy: ScreeningPolicy) -> Criterion:
    if form.kind != NEW:
        return Criterion(7, MET, "the information exists already; no municipality is asked for data")
    full = [t.municipality_code for t in form.targets
            if open_requests.get(t.municipality_code, 0) >= policy.capacity_per_municipality]
    problems = [f"{code} already has {open_requests[code]} open data requests; its capacity is "
                f"{policy.capacity_per_municipality} (Art. 7)" for code in full]
    return _result(7, problems, "no municipality concerned is over its capacity for data requests")


def _result(item: int, problems: list[str], when_met: str) -> Criterion:
    return Criterion(item, NOT_MET, "; ".join(problems)) if problems else Criterion(item, MET, when_met)


@dataclass(frozen=True)
class Decision:
    item: int
    met: bool
    reason: str


def decide(criteria: tuple[Criterion, ...], decisions: tuple[Decision, ...], reviewer: str) -> tuple[Criterion, ...]:
    """Screening's results with the reviewer's decisions on items 4 and 6, each with its reason."""
    given: dict[int, Decision] = {}
    for index, decision in enumerate(decisions):
        if decision.item not in REVIEWER_ITEMS:
            raise InvalidArgument(f"decisions[{index}].item",
                                  "a reviewer decides items 4 and 6; the others are screened")
        if not decision.reason.strip():
            raise InvalidArgument(f"decisions[{index}].reason", "give the reason for the decision")
        given[decision.item] = decision
    for item in REVIEWER_ITEMS:
        if item not in given:
            raise InvalidArgument("decisions", f"item {item} needs a decision")
    return tuple(replace(c, outcome=MET if given[c.item].met else NOT_MET, reason=given[c.item].reason,
                         decided_by=reviewer) if c.item in given else c for c in criteria)


def approved(criteria: tuple[Criterion, ...]) -> bool:
    return all(c.outcome == MET for c in criteria)


def unmet(criteria: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
    return tuple(c for c in criteria if c.outcome == NOT_MET)
