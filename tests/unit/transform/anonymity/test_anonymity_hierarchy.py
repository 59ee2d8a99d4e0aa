from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from services.transform.domain.anonymity import (
    HierarchyError,
    address_hierarchy,
    age_hierarchy,
    date_hierarchy,
    load_hierarchies,
    postal_code_hierarchy,
)
from services.transform.domain.anonymity.hierarchy import Hierarchy
from services.transform.domain.anonymity.municipalities import MUNICIPALITIES, check_digit


def label_path(hierarchy, leaf):
    index = hierarchy.encode(pa.array([leaf]))[0]
    return [hierarchy.labels[level][hierarchy.codes[level][index]] for level in range(hierarchy.height)]


def test_loads_arx_files_and_encodes_leaves(hierarchy_dir):
    hierarchies = load_hierarchies(hierarchy_dir, ["a", "c"])
    assert hierarchies["a"].height == 4
    assert list(hierarchies["a"].encode(pa.array(["a3", "a0", "a3"]))) == [3, 0, 3]
    assert label_path(hierarchies["c"], "c3") == ["c3", "c-high", "*"]


def test_recode_between_levels_follows_the_tree(hierarchy_dir):
    a = load_hierarchies(hierarchy_dir, ["a"])["a"]
    via_level_1 = a.recode(1, 2)[a.leaf_to_level(1)]
    assert np.array_equal(via_level_1, a.leaf_to_level(2))


def test_uncovered_value_names_the_column_never_the_value(hierarchy_dir):
    a = load_hierarchies(hierarchy_dir, ["a"])["a"]
    with pytest.raises(HierarchyError) as error:
        a.encode(pa.array(["a1", "secret-value"]))
    assert "'a'" in str(error.value) and "secret-value" not in str(error.value)


def test_missing_value_is_not_covered(hierarchy_dir):
    a = load_hierarchies(hierarchy_dir, ["a"])["a"]
    with pytest.raises(HierarchyError):
        a.encode(pa.array(["a1", None]))


@pytest.mark.parametrize(
    "rows",
    [
        [["x", "p", "*"], ["y", "*"]],
        [["x", "p", "*"], ["x", "p", "*"]],
        [["x", "p", "*"], ["y", "p", "**"]],
    ],
    ids=["ragged", "repeated leaf", "two parents"],
)
def test_malformed_hierarchies_fail_naming_the_column(rows):
    with pytest.raises(HierarchyError, match="'col'"):
        Hierarchy.from_rows("col", rows)


def test_missing_hierarchy_file_names_the_column(hierarchy_dir):
    with pytest.raises(HierarchyError, match="'zzz'"):
        load_hierarchies(hierarchy_dir, ["zzz"])


def test_shares_equal_the_shared_measure(shared_granularity, shared_dir):
    path = shared_dir / "data" / "adult_hierarchy_education.csv"
    expected, _ = shared_granularity.shares_from_hierarchy(shared_granularity.load_hierarchy(path))
    education = load_hierarchies(shared_dir / "data", ["education"])["education"]
    for level in range(education.height):
        for label, share in zip(education.labels[level], education.shares(level)):
            assert share == pytest.approx(expected[label])


def test_age_intervals():
    assert label_path(age_hierarchy(maximum=100), "37") == ["37", "35-39", "30-39", "20-39", "*"]


def test_dates_to_month_and_year():
    dates = date_hierarchy("birth", date(1999, 12, 30), date(2000, 1, 2))
    assert dates.domain_size == 4
    assert label_path(dates, "2000-01-02") == ["2000-01-02", "2000-01", "2000", "*"]


def test_postal_codes_keep_leading_digits():
    codes = postal_code_hierarchy("zip", ["100-0001", "1000002", "060-0001"])
    assert label_path(codes, "100-0001") == ["100-0001", "100-00**", "100-****", "1**-****", "*"]
    assert label_path(codes, "1000002") == ["1000002", "10000**", "100****", "1******", "*"]


def test_postal_code_hierarchy_rejects_other_values_without_echoing_them():
    with pytest.raises(HierarchyError) as error:
        postal_code_hierarchy("zip", ["12-345"])
    assert "12-345" not in str(error.value)


def test_addresses_generalize_to_prefecture_and_region():
    assert label_path(address_hierarchy(), "東京都千代田区") == ["東京都千代田区", "東京都", "関東", "*"]


def test_municipality_codes_carry_valid_check_digits():
    assert all(check_digit(code[:5]) == code[5] for code, _, _ in MUNICIPALITIES)
