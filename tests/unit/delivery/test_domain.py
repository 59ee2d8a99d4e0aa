from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import FailedPrecondition, PermissionDenied
from services.delivery.domain import ContractTerms, check_pull

NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)
TERMS = ContractTerms("c1", "acme", NOW - timedelta(days=1), NOW + timedelta(days=30), 3, 0)


def test_the_contracted_business_pulls_within_its_terms():
    check_pull(TERMS, "acme", NOW)


@pytest.mark.parametrize("business, now, downloads, error, words", [
    ("other", NOW, 0, PermissionDenied, "another business"),
    ("acme", NOW - timedelta(days=2), 0, FailedPrecondition, "not begun"),
    ("acme", NOW + timedelta(days=30), 0, FailedPrecondition, "ended"),
    ("acme", NOW, 3, FailedPrecondition, "downloads"),
])
def test_pulls_outside_the_contract_are_refused_with_the_reason(business, now, downloads, error, words):
    terms = ContractTerms(**{**TERMS.__dict__, "downloads": downloads})
    with pytest.raises(error, match=words):
        check_pull(terms, business, now)
