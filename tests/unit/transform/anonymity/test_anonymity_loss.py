"""The utility measures the search can minimize."""
import numpy as np
import pytest

from services.transform.domain.anonymity import AnonymityError, load_hierarchies
from services.transform.domain.anonymity.loss import UTILITY_MEASURES, column_losses, granularity, utility_measure

ROWS = 100
DOMAINS = np.array([10.0, 4.0])
UNTOUCHED = ROWS / DOMAINS
SUPPRESSED = np.full(2, float(ROWS))


@pytest.mark.parametrize("name", sorted(UTILITY_MEASURES))
def test_untouched_data_loses_nothing_and_suppressed_data_everything(name):
    measure = utility_measure(name)
    assert measure.loss(UNTOUCHED, ROWS, DOMAINS) == pytest.approx(0.0)
    assert measure.loss(SUPPRESSED, ROWS, DOMAINS) == pytest.approx(1.0)


def test_column_losses_are_normalized_per_column():
    totals = UNTOUCHED + 0.5 * (SUPPRESSED - UNTOUCHED)
    assert column_losses(totals, ROWS, DOMAINS) == pytest.approx([0.5, 0.5])


def test_the_loss_measure_prefers_loss_in_one_column_to_the_same_loss_spread_over_all():
    one_column = UNTOUCHED + np.array([1.0, 0.0]) * (SUPPRESSED - UNTOUCHED)
    spread = UNTOUCHED + 0.5 * (SUPPRESSED - UNTOUCHED)
    loss = utility_measure("loss")
    assert loss.loss(one_column, ROWS, DOMAINS) < loss.loss(spread, ROWS, DOMAINS)
    assert loss.loss(np.vstack([one_column, spread]), ROWS, DOMAINS) == pytest.approx([2 ** 0.5 - 1, 0.5])


def test_measures_are_non_decreasing_in_every_column_total():
    rng = np.random.default_rng(7)
    totals = UNTOUCHED + rng.random((200, 2)) * (SUPPRESSED - UNTOUCHED)
    for measure in UTILITY_MEASURES.values():
        for q in range(2):
            more = totals.copy()
            more[:, q] = np.minimum(more[:, q] + 5.0, ROWS)
            assert (measure.loss(more, ROWS, DOMAINS) >= measure.loss(totals, ROWS, DOMAINS) - 1e-15).all()


def test_the_granularity_measure_is_one_minus_granularity(small_hierarchy_rows, hierarchy_dir):
    hierarchies = load_hierarchies(hierarchy_dir, ["a", "c"])
    totals = {"a": 40.0, "c": 70.0}
    domains = np.array([hierarchies[q].domain_size for q in totals], dtype=float)
    expected = 1.0 - granularity(totals, ROWS, hierarchies).value
    assert utility_measure("granularity").loss(np.array(list(totals.values())), ROWS, domains) == pytest.approx(expected)


def test_an_unknown_measure_is_refused_by_name():
    with pytest.raises(AnonymityError, match="argument 'utility' must be one of granularity, loss"):
        utility_measure("entropy")
