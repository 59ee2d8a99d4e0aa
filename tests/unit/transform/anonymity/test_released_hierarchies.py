"""Hierarchies over the values measures 1–4 released: the policy's rule for a column decides the shape."""
from __future__ import annotations

import pytest

from services.transform.domain.anonymity import HierarchyError
from services.transform.domain.anonymity.released import released_hierarchy
from services.transform.domain.measure_five import AnonymityTarget, plan, quasi_identifiers
from services.transform.domain.operators.birthdate_to_age import BirthdateToAgeParams
from services.transform.domain.operators.generalize_address import GeneralizeAddressParams
from services.transform.domain.policy import Rule, derive_policy
from services.transform.domain.schema import ItemRole, ItemType, RecordItem, RegisterEntry


def _levels(hierarchy, leaf: str) -> list[str]:
    index = list(hierarchy.labels[0]).index(leaf)
    return [str(hierarchy.labels[level][hierarchy.codes[level][index]]) for level in range(hierarchy.height)]


AGE = [Rule("c", "birthdate_to_age", BirthdateToAgeParams(1))]
BAND_10 = [Rule("c", "birthdate_to_age", BirthdateToAgeParams(10))]


@pytest.mark.parametrize("rules, values, leaf, expected", [
    (AGE, ["37", "2", "90+", ""], "37", ["37", "35-39", "30-39", "20-39", "*"]),
    (AGE, ["37", "2", "90+", ""], "90+", ["90+", "90+", "90+", "90+", "*"]),
    (AGE, ["37", "2", "90+", ""], "", ["", "", "", "", "*"]),
    (BAND_10, ["30-39", "40-49"], "30-39", ["30-39", "20-39", "0-39", "*"]),
    (BAND_10, ["30-39", "40-49"], "40-49", ["40-49", "40-59", "40-79", "*"]),
    ([Rule("c", "generalize_address", GeneralizeAddressParams("prefecture", "name"))], ["北海道", "大阪府"], "大阪府",
     ["大阪府", "近畿", "*"]),
    ([Rule("c", "generalize_address", GeneralizeAddressParams("prefecture", "code"))], ["01", "47"], "47",
     ["47", "九州・沖縄", "*"]),
    ([Rule("c", "generalize_address", GeneralizeAddressParams("municipality", "name"))], ["東京都千代田区"],
     "東京都千代田区", ["東京都千代田区", "東京都", "関東", "*"]),
    ([Rule("c", "generalize_address", GeneralizeAddressParams("municipality", "code"))], ["011002", "271004"],
     "011002", ["011002", "01", "北海道", "*"]),
    ([], ["1", "2"], "2", ["2", "*"]),
    ([], ["M", "F", "*"], "*", ["*", "*"]),
])
def test_each_released_value_generalizes_as_its_rule_implies(rules, values, leaf, expected):
    assert _levels(released_hierarchy("c", values, rules), leaf) == expected


@pytest.mark.parametrize("rules, values", [(AGE, ["37", "abc"]), (BAND_10, ["30-39", "35-44"]),
                                           ([Rule("c", "generalize_address", GeneralizeAddressParams())], ["Tokyo"])])
def test_a_value_the_rule_does_not_fit_fails_naming_the_column_only(rules, values):
    with pytest.raises(HierarchyError) as caught:
        released_hierarchy("生年月日", values, rules)
    assert "生年月日" in str(caught.value) and not any(v in str(caught.value) for v in values)


ENTRY = RegisterEntry("131016", "file", (
    RecordItem("氏名", ItemType.TEXT, ItemRole.IDENTIFIER),
    RecordItem("住所", ItemType.TEXT, ItemRole.IDENTIFIER),
    RecordItem("生年月日", ItemType.DATE, ItemRole.QUASI_IDENTIFIER),
    RecordItem("性別", ItemType.CODE, ItemRole.QUASI_IDENTIFIER),
    RecordItem("病名", ItemType.TEXT, ItemRole.SENSITIVE),
))


def test_quasi_identifiers_are_the_identifying_items_measures_1_to_4_leave():
    policy = derive_policy(ENTRY, {"住所": "prefecture", "生年月日": "age_band_5", "性別": "as_is", "病名": "as_is"})
    assert quasi_identifiers(ENTRY, policy) == ("住所", "生年月日", "性別")


def test_the_plan_holds_k_and_l_models_and_a_hierarchy_per_quasi_identifier():
    policy = derive_policy(ENTRY, {"住所": "prefecture", "生年月日": "age_band_5", "性別": "as_is", "病名": "as_is"})
    released = {"住所": {"東京都"}, "生年月日": {"30-34", "35-39"}, "性別": {"1", "2"}}
    five = plan(AnonymityTarget(5, 0.1, (("病名", 2),)), ENTRY, policy, released)
    assert [m.describe()["model"] for m in five.models] == ["k-anonymity", "distinct-l-diversity"]
    assert five.sensitive == ("病名",) and set(five.hierarchies) == {"住所", "生年月日", "性別"}
    assert five.hierarchies["生年月日"].height == 4


def test_l_diversity_on_a_quasi_identifier_or_a_deleted_item_is_refused():
    policy = derive_policy(ENTRY, {"住所": "prefecture", "生年月日": "age_band_5", "性別": "as_is"})
    for item in ("性別", "病名"):
        with pytest.raises(Exception, match=f"l-diversity item {item}"):
            plan(AnonymityTarget(5, 0.0, ((item, 2),)), ENTRY, policy, {})
