"""The fingerprint marks each copy for its recipient and leaves every per-column count as it was."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from services.delivery.domain.fingerprint import _pair_swap, fingerprint, layout
from tests.unit.delivery.synthetic import synthetic

KEY = bytes(range(32))


def _column(table: pa.Table, name: str) -> Counter:
    return Counter(table.column(name).to_pylist())


def _rows(table: pa.Table, names) -> Counter:
    return Counter(zip(*(table.column(n).to_pylist() for n in names)))


def test_columns_are_read_as_anchors_carriers_and_tokens():
    shape = layout(synthetic(500, token=True))
    assert shape.anchors == ("性別", "年齢層", "地域")
    assert shape.carriers == ("生年月日", "保険料", "給付額", "受診日数")
    assert shape.tokens == ("連結コード",)


@pytest.mark.parametrize("recipient", ["acme-research", "beta-lab", "gamma"])
def test_every_column_keeps_its_counts_and_every_carrier_its_table_by_the_anchors(dataset, recipient):
    copy = fingerprint(dataset, KEY, "d1", recipient)
    assert copy.schema == dataset.schema and copy.num_rows == dataset.num_rows
    anchors = ["性別", "年齢層", "地域"]
    for name in dataset.column_names:
        assert _column(copy, name) == _column(dataset, name)
    for carrier in ["生年月日", "保険料", "給付額", "受診日数"]:
        assert _rows(copy, anchors + [carrier]) == _rows(dataset, anchors + [carrier])


@pytest.mark.parametrize("given_first, given_second, then_same", [
    (("d1", "acme"), ("d1", "acme"), True),     # the same recipient always gets the same copy
    (("d1", "acme"), ("d1", "beta"), False),    # another recipient gets another pairing
    (("d1", "acme"), ("d2", "acme"), False),    # another dataset, another pairing
])
def test_the_copy_depends_on_key_dataset_and_recipient_only(dataset, given_first, given_second, then_same):
    first, second = fingerprint(dataset, KEY, *given_first), fingerprint(dataset, KEY, *given_second)
    names = dataset.column_names
    assert (_rows(first, names) == _rows(second, names)) is then_same


def test_two_copies_share_only_a_fraction_of_their_rows(dataset):
    names = dataset.column_names
    a, b = _rows(fingerprint(dataset, KEY, "d1", "acme"), names), _rows(fingerprint(dataset, KEY, "d1", "beta"), names)
    shared = sum((a & b).values()) / dataset.num_rows
    assert shared < 0.2


def test_another_key_gives_another_copy(dataset):
    names = dataset.column_names
    assert _rows(fingerprint(dataset, KEY, "d1", "acme"), names) != \
        _rows(fingerprint(dataset, bytes(32), "d1", "acme"), names)


@pytest.mark.parametrize("strata, bits", [
    ([0] * 40, [True] * 40),
    ([0] * 20 + [1] * 21, [True, False] * 21),
    ([i % 3 for i in range(41)], [bool(i % 5) for i in range(41)]),
])
def test_a_carrier_value_moves_only_to_its_neighbour_in_rank_within_its_stratum(strata, bits):
    values = np.array([str(100 * ((i * 7) % len(strata))) for i in range(len(strata))], dtype=object)
    source = _pair_swap(values, np.array(strata), np.array(bits))
    rank = {v: float(v) for v in values}

    def apart(i: int) -> tuple[float, float]:
        return tuple(sorted((rank[values[i]], rank[values[source[i]]])))
    assert sorted(source) == list(range(len(values)))
    assert all(strata[s] == strata[i] for i, s in enumerate(source))
    moved = [i for i, s in enumerate(source) if s != i]
    assert moved
    for i in moved:
        low, high = apart(i)
        between = [v for j, v in enumerate(values) if strata[j] == strata[i] and low < rank[v] < high]
        assert not between


def test_tokens_are_relabelled_one_to_one_keeping_which_rows_share_a_token():
    table = synthetic(600, token=True)
    copy = fingerprint(table, KEY, "d1", "acme")
    before, after = table.column("連結コード").to_pylist(), copy.column("連結コード").to_pylist()
    assert not set(before) & set(after)
    assert sorted(Counter(before).values()) == sorted(Counter(after).values())


@pytest.mark.parametrize("rows", [0, 1, 2, 3])
def test_tiny_tables_are_copied_whole(rows):
    table = synthetic(rows)
    copy = fingerprint(table, KEY, "d1", "acme")
    assert copy.num_rows == rows and _rows(copy, table.column_names) == _rows(table, table.column_names)
