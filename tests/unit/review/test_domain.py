from datetime import datetime, timezone

import pytest

from services.common.errors import InvalidArgument
from services.review.domain import ContractTerms, Target, validate_terms

START, END = datetime(2026, 4, 1, tzinfo=timezone.utc), datetime(2027, 3, 31, tzinfo=timezone.utc)
GOOD = ContractTerms("acme", "研究", (Target("131016", "f1", ("性別",)),), START, END, 3)


def test_complete_terms_are_valid():
    validate_terms(GOOD)


@pytest.mark.parametrize("change, field", [
    ({"business_id": "../acme"}, "business_id"),
    ({"purpose": ""}, "purpose"),
    ({"targets": ()}, "targets"),
    ({"targets": (Target("131017", "f1", ("a",)),)}, "targets[0].municipality_code"),
    ({"targets": (Target("131016", "", ("a",)),)}, "targets[0].file_id"),
    ({"targets": (Target("131016", "f1", ()),)}, "targets[0].items"),
    ({"period_end": START}, "period_end"),
    ({"max_downloads": 0}, "max_downloads"),
])
def test_bad_terms_name_their_field(change, field):
    with pytest.raises(InvalidArgument) as caught:
        validate_terms(ContractTerms(**{**GOOD.__dict__, **change}))
    assert caught.value.field == field
