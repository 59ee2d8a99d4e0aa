import numpy as np
import pytest

from services.transform.domain.anonymity import (
    AnonymityError,
    DistinctLDiversity,
    EntropyLDiversity,
    EqualDistanceTCloseness,
    KAnonymity,
)
from services.transform.domain.anonymity.classes import ClassSummary, SensitiveDistribution


@pytest.fixture
def summary():
    """Three classes: {x:3, y:2}, {x:3}, {x:1, y:1, z:2}."""
    pairs = SensitiveDistribution(
        pair_class=np.array([0, 0, 1, 2, 2, 2]),
        pair_value=np.array([0, 1, 0, 0, 1, 2]),
        pair_counts=np.array([3, 2, 3, 1, 1, 2]),
        cardinality=3,
    )
    return ClassSummary(np.array([5, 3, 4]), {"s": pairs})


@pytest.mark.parametrize(
    "model, failing",
    [
        (KAnonymity(4), [False, True, False]),
        (KAnonymity(3), [False, False, False]),
        (DistinctLDiversity("s", 2), [False, True, False]),
        (DistinctLDiversity("s", 3), [True, True, False]),
        (EntropyLDiversity("s", 2), [True, True, False]),
        (EntropyLDiversity("s", 1.9), [False, True, False]),
        (EqualDistanceTCloseness("s", 0.2), [False, True, True]),
        (EqualDistanceTCloseness("s", 0.42), [False, False, False]),
    ],
    ids=lambda value: getattr(value, "name", None) and f"{value.name}={value.threshold}",
)
def test_failing_classes(model, failing, summary):
    assert list(model.failing_classes(summary)) == failing


def test_measures_are_the_textbook_ones(summary):
    entropy = EntropyLDiversity("s", 1).measure(summary)
    assert entropy[0] == pytest.approx(np.exp(-(0.6 * np.log(0.6) + 0.4 * np.log(0.4))))
    assert entropy[1] == pytest.approx(1.0)
    distance = EqualDistanceTCloseness("s", 1).measure(summary)
    assert distance == pytest.approx([1 / 6, 5 / 12, 1 / 3])


def test_achieved_values_are_the_weakest_kept(summary):
    kept = np.array([True, False, True])
    assert KAnonymity(2).achieved(summary, kept) == 4
    assert DistinctLDiversity("s", 2).achieved(summary, kept) == 2
    assert EqualDistanceTCloseness("s", 1).achieved(summary, kept) == pytest.approx(1 / 3)
    assert KAnonymity(2).achieved(summary, np.zeros(3, bool)) is None


def test_models_declare_needs_and_monotonicity():
    assert KAnonymity(2).needs == {"class_counts"} and KAnonymity(2).monotonic
    assert DistinctLDiversity("s", 2).needs == {"class_counts", "sensitive_distribution"}
    assert DistinctLDiversity("s", 2).monotonic
    assert not EntropyLDiversity("s", 2).monotonic
    assert not EqualDistanceTCloseness("s", 0.2).monotonic


@pytest.mark.parametrize(
    "make, argument",
    [(lambda: KAnonymity(0), "'k'"), (lambda: DistinctLDiversity("s", 0), "'l'"), (lambda: EqualDistanceTCloseness("s", -1), "'t'")],
)
def test_invalid_parameters_name_the_argument(make, argument):
    with pytest.raises(AnonymityError, match=argument):
        make()
