"""Revocation, recall and contract-end cases: each tracked from opening until every deletion it
demanded is certified.

    OPEN ──demand(parties)──▶ AWAITING_CERTIFICATES ──certify(last party)──▶ CLOSED
      └──demand(no party)───────────────────────────────────────────────────▶ CLOSED

Every transition appends a step (when, what, ids and counts only), so a case tells its own history.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.common.errors import FailedPrecondition, PermissionDenied

RECALL, MISUSE, MUNICIPALITY_CANCELLATION, CONTRACT_END = "recall", "misuse", "municipality_cancellation", \
    "contract_end"
KINDS = (RECALL, MISUSE, MUNICIPALITY_CANCELLATION, CONTRACT_END)
OPEN, AWAITING, CLOSED = "open", "awaiting_certificates", "closed"


@dataclass(frozen=True)
class Step:
    at: datetime
    action: str
    detail: str = ""


@dataclass(frozen=True)
class Demand:
    party: str
    requested_at: datetime
    certified_at: datetime | None = None
    certificate_sha256: str = ""


@dataclass(frozen=True)
class Case:
    case_id: str
    kind: str
    subject_type: str
    subject_id: str
    reason: str
    opened_at: datetime
    state: str = OPEN
    closed_at: datetime | None = None
    demands: tuple[Demand, ...] = ()
    steps: tuple[Step, ...] = ()
    cancelled_contract_ids: tuple[str, ...] = field(default=())

    def step(self, at: datetime, action: str, detail: str = "") -> "Case":
        return replace(self, steps=self.steps + (Step(at, action, detail),))

    def demanded_of(self, party: str) -> bool:
        return any(d.party == party for d in self.demands)


def open_case(case_id: str, kind: str, subject_type: str, subject_id: str, reason: str, now: datetime) -> Case:
    if kind not in KINDS:
        raise ValueError(f"unknown case kind {kind}")
    opened = Case(case_id, kind, subject_type, subject_id, reason, now)
    return opened.step(now, "opened", f"{subject_type} {subject_id}")


def cancel_contracts(case: Case, contract_ids: list[str], now: datetime) -> Case:
    fresh = tuple(c for c in contract_ids if c not in case.cancelled_contract_ids)
    if not fresh:
        return case
    return replace(case, cancelled_contract_ids=case.cancelled_contract_ids + fresh) \
        .step(now, "contracts_cancelled", ", ".join(fresh))


def demand_deletion(case: Case, parties: list[str], now: datetime) -> Case:
    """Asks each party for a deletion certificate; a case with nobody to ask closes at once."""
    if case.state == CLOSED:
        raise FailedPrecondition(f"case {case.case_id} is closed")
    fresh = [p for p in dict.fromkeys(parties) if not case.demanded_of(p)]
    case = replace(case, demands=case.demands + tuple(Demand(p, now) for p in fresh))
    if fresh:
        case = case.step(now, "deletion_requested", ", ".join(fresh))
    return _settle(case, now)


def certify(case: Case, party: str, certificate_sha256: str, now: datetime) -> Case:
    """Records a party's deletion certificate; the last one closes the case. Sending it again changes nothing."""
    if not case.demanded_of(party):
        raise PermissionDenied(f"case {case.case_id} demands no deletion of this party")
    demand = next(d for d in case.demands if d.party == party)
    if demand.certified_at is not None:
        return case
    if case.state == CLOSED:
        raise FailedPrecondition(f"case {case.case_id} is closed")
    done = replace(demand, certified_at=now, certificate_sha256=certificate_sha256)
    case = replace(case, demands=tuple(done if d.party == party else d for d in case.demands))
    return _settle(case.step(now, "deletion_certified", party), now)


def _settle(case: Case, now: datetime) -> Case:
    if all(d.certified_at is not None for d in case.demands):
        return replace(case, state=CLOSED, closed_at=now).step(now, "closed")
    return replace(case, state=AWAITING)


def to_json(case: Case) -> str:
    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None
    return json.dumps({
        "case_id": case.case_id, "kind": case.kind, "subject_type": case.subject_type,
        "subject_id": case.subject_id, "reason": case.reason, "opened_at": when(case.opened_at),
        "state": case.state, "closed_at": when(case.closed_at),
        "demands": [{"party": d.party, "requested_at": when(d.requested_at), "certified_at": when(d.certified_at),
                     "certificate_sha256": d.certificate_sha256} for d in case.demands],
        "steps": [{"at": when(s.at), "action": s.action, "detail": s.detail} for s in case.steps],
        "cancelled_contract_ids": list(case.cancelled_contract_ids),
    }, ensure_ascii=False)


def from_json(text: str) -> Case:
    raw = json.loads(text)

    def when(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None
    return Case(raw["case_id"], raw["kind"], raw["subject_type"], raw["subject_id"], raw["reason"],
                when(raw["opened_at"]), raw["state"], when(raw["closed_at"]),
                tuple(Demand(d["party"], when(d["requested_at"]), when(d["certified_at"]), d["certificate_sha256"])
                      for d in raw["demands"]),
                tuple(Step(when(s["at"]), s["action"], s["detail"]) for s in raw["steps"]),
                tuple(raw["cancelled_contract_ids"]))
