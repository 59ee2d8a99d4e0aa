from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import FailedPrecondition, PermissionDenied
from services.delivery.domain import ContractTerms, check_pull
from services.delivery.domain.contracts import CANCELLED, ENDED, is_resume, pick_contract

NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)
TERMS = ContractTerms("c1", "acme", NOW - timedelta(days=1), NOW + timedelta(days=30), 3, 0)


def test_the_contracted_business_pulls_within_its_terms():
    check_pull(TERMS, "acme", NOW)


@pytest.mark.parametrize("business, now, downloads, status, error, words", [
    ("other", NOW, 0, "active", PermissionDenied, "another business"),
    ("acme", NOW - timedelta(days=2), 0, "active", FailedPrecondition, "not begun"),
    ("acme", NOW + timedelta(days=30), 0, "active", FailedPrecondition, "ended"),
    ("acme", NOW, 3, "active", FailedPrecondition, "downloads"),
    ("acme", NOW, 0, CANCELLED, FailedPrecondition, "cancelled"),
    ("acme", NOW, 0, ENDED, FailedPrecondition, "ended"),
])
def test_pulls_outside_the_contract_are_refused_with_the_reason(business, now, downloads, status, error, words):
    terms = ContractTerms(**{**TERMS.__dict__, "downloads": downloads, "status": status})
    with pytest.raises(error, match=words):
        check_pull(terms, business, now)


def test_a_resume_needs_no_download_left():
    check_pull(ContractTerms(**{**TERMS.__dict__, "downloads": 3}), "acme", NOW, new_download=False)


@pytest.mark.parametrize("offset, last_counted, then_resume", [
    (0, NOW - timedelta(minutes=5), False),     # from the start: a new download
    (1024, None, False),                        # nothing counted yet
    (1024, NOW - timedelta(hours=1), True),
    (1024, NOW - timedelta(days=2), False),     # too late to continue
])
def test_a_pull_from_an_offset_soon_after_a_counted_one_resumes_it(offset, last_counted, then_resume):
    assert is_resume(offset, last_counted, NOW) is then_resume


def test_the_business_own_active_contract_is_chosen():
    old = ContractTerms(**{**TERMS.__dict__, "contract_id": "c0", "status": ENDED})
    other = ContractTerms(**{**TERMS.__dict__, "contract_id": "c9", "business_id": "beta"})
    assert pick_contract([old, TERMS, other], "acme").contract_id == "c1"
    with pytest.raises(PermissionDenied):
        pick_contract([other], "acme")
