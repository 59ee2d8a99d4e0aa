"""Case state machines: a case stays open until every deletion it demanded is certified."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import FailedPrecondition, PermissionDenied
from services.delivery.domain import cases

T0 = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)


def _opened(kind=cases.RECALL):
    return cases.open_case("c1", kind, "dataset", "d1", "inadequate processing", T0)


@pytest.mark.parametrize("parties, certified, then_state", [
    ([], [], cases.CLOSED),                                       # nobody received a copy
    (["acme"], [], cases.AWAITING),
    (["acme", "beta"], ["acme"], cases.AWAITING),
    (["acme", "beta"], ["beta", "acme"], cases.CLOSED),
    (["acme", "acme"], ["acme"], cases.CLOSED),                   # a party is asked once
    (["acme", "beta"], ["acme", "acme"], cases.AWAITING),          # certifying twice changes nothing
])
def test_a_case_closes_when_the_last_demanded_certificate_is_in(parties, certified, then_state):
    case = cases.demand_deletion(_opened(), parties, T0)
    for minute, party in enumerate(certified, start=1):
        case = cases.certify(case, party, "ab" * 32, T0 + timedelta(minutes=minute))
    assert case.state == then_state
    assert (case.closed_at is not None) == (then_state == cases.CLOSED)
    assert [s.action for s in case.steps][0] == "opened"
    assert ([s.action for s in case.steps][-1] == "closed") == (then_state == cases.CLOSED)


@pytest.mark.parametrize("given, action, error", [
    ("awaiting", lambda c: cases.certify(c, "stranger", "", T0), PermissionDenied),
    ("closed", lambda c: cases.demand_deletion(c, ["late"], T0), FailedPrecondition),
    ("closed", lambda c: cases.certify(c, "other", "", T0), PermissionDenied),
])
def test_steps_that_do_not_belong_to_a_case_are_refused(given, action, error):
    case = cases.demand_deletion(_opened(), ["acme"], T0)
    if given == "closed":
        case = cases.certify(case, "acme", "", T0)
    with pytest.raises(error):
        action(case)


def test_cancelled_contracts_are_recorded_once():
    case = cases.cancel_contracts(_opened(), ["k1", "k2"], T0)
    case = cases.cancel_contracts(case, ["k2", "k3"], T0)
    assert case.cancelled_contract_ids == ("k1", "k2", "k3")
    assert [s.detail for s in case.steps if s.action == "contracts_cancelled"] == ["k1, k2", "k3"]


@pytest.mark.parametrize("kind", cases.KINDS)
def test_a_case_survives_its_storage_form(kind):
    case = cases.demand_deletion(cases.cancel_contracts(_opened(kind), ["k1"], T0), ["acme", "down-1"], T0)
    case = cases.certify(case, "acme", "cd" * 32, T0 + timedelta(hours=1))
    assert cases.from_json(cases.to_json(case)) == case


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        cases.open_case("c", "whatever", "dataset", "d", "r", T0)
