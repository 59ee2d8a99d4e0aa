"""The degrees review approves are the degrees transform carries out."""
import pytest

from services.review.domain import degrees

CASES = [  # (degree, type, role, offered)
    ("as_is", "DATE", "QUASI_IDENTIFIER", True),
    ("age", "DATE", "QUASI_IDENTIFIER", True),
    ("age_band_5", "DATE", "QUASI_IDENTIFIER", True),
    ("age_band_10", "DATE", "QUASI_IDENTIFIER", True),
    ("age+top_code_90", "DATE", "QUASI_IDENTIFIER", True),
    ("prefecture", "TEXT", "IDENTIFIER", True),
    ("municipality", "TEXT", "IDENTIFIER", True),
    ("postal_3", "CODE", "QUASI_IDENTIFIER", True),
    ("top_code_90", "INTEGER", "OTHER", True),
    ("rare_5", "CODE", "SENSITIVE", True),
    ("token", "CODE", "LINKING_CODE", True),
    ("linked_token", "CODE", "LINKING_CODE", True),
    ("as_is", "TEXT", "IDENTIFIER", False),        # identifiers only coarser than as-is
    ("as_is", "CODE", "IDENTIFICATION_CODE", False),  # never offered
    ("token", "CODE", "IDENTIFICATION_CODE", False),
    ("as_is", "CODE", "LINKING_CODE", False),
    ("prefecture", "DATE", "QUASI_IDENTIFIER", False),
    ("age", "TEXT", "QUASI_IDENTIFIER", False),
    ("age+prefecture", "DATE", "QUASI_IDENTIFIER", False),  # age leaves a number
    ("postal_9", "CODE", "QUASI_IDENTIFIER", False),
    ("year_month", "DATE", "QUASI_IDENTIFIER", False),   # not (yet) a degree the policy knows
    ("", "TEXT", "OTHER", False),
]


@pytest.mark.parametrize("degree, item_type, role, expected", CASES)
def test_offered(degree, item_type, role, expected):
    assert degrees.offered(degree, item_type, role) is expected


@pytest.mark.parametrize("degree, item_type, role", [(d, t, r) for d, t, r, ok in CASES if ok])
def test_every_offered_degree_is_one_the_processing_policy_applies(degree, item_type, role):
    policy = pytest.importorskip("services.transform.domain.policy")
    schema = pytest.importorskip("services.transform.domain.schema")
    item = schema.RecordItem("x", schema.ItemType[item_type], schema.ItemRole[role])
    entry = schema.RegisterEntry("131016", "f", (item,))
    rules = policy.derive_policy(entry, {"x": degree}).rules
    assert "delete" not in {rule.operator for rule in rules}


def test_the_portal_catalogue_never_offers_identification_codes():
    assert degrees.catalogue("CODE", "IDENTIFICATION_CODE") == ()
    assert "as_is" not in degrees.catalogue("TEXT", "IDENTIFIER")
    assert "age_band_<N>" in degrees.catalogue("DATE", "QUASI_IDENTIFIER")
