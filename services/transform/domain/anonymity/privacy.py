"""Privacy models. Each declares what it needs and whether it is monotonic, so the search stays generic.

Monotonic means: a class at a generalization fails only if all classes merged into it failed,
so the suppressed records never grow when generalizing.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .classes import ClassSummary
from .errors import AnonymityError

CLASS_COUNTS = "class_counts"
SENSITIVE_DISTRIBUTION = "sensitive_distribution"


class PrivacyModel(ABC):
    """A criterion each equivalence class must meet; records of failing classes are suppressed.

    Subclasses give a per-class measure and its threshold; `at_least` says in which direction it holds.
    """

    needs: frozenset[str] = frozenset({CLASS_COUNTS})
    monotonic: bool = True
    sensitive_column: str | None = None
    name: str
    parameter: str
    threshold: float
    at_least: bool = True

    @abstractmethod
    def measure(self, summary: ClassSummary) -> np.ndarray:
        """The model's measure for every class."""

    def failing_classes(self, summary: ClassSummary) -> np.ndarray:
        """Boolean mask of the classes that do not meet the model."""
        value = self.measure(summary)
        return value < self.threshold - 1e-12 if self.at_least else value > self.threshold + 1e-12

    def achieved(self, summary: ClassSummary, kept: np.ndarray) -> int | float | None:
        """The weakest value among the kept classes, as the release guarantees it."""
        values = self.measure(summary)[kept]
        if not len(values):
            return None
        return (values.min() if self.at_least else values.max()).item()

    def describe(self) -> dict:
        description = {"model": self.name, self.parameter: self.threshold}
        if self.sensitive_column is not None:
            description["column"] = self.sensitive_column
        return description


def _check_parameter(name: str, value: float, minimum: float) -> None:
    if not value >= minimum:
        raise AnonymityError(f"argument '{name}' must be at least {minimum}")


class KAnonymity(PrivacyModel):
    """Every class holds at least k records."""

    name, parameter = "k-anonymity", "k"

    def __init__(self, k: int):
        _check_parameter("k", k, 1)
        self.threshold = int(k)

    def measure(self, summary: ClassSummary) -> np.ndarray:
        return summary.sizes


class _SensitiveModel(PrivacyModel):
    needs = frozenset({CLASS_COUNTS, SENSITIVE_DISTRIBUTION})

    def __init__(self, column: str, value: float, minimum: float):
        _check_parameter(self.parameter, value, minimum)
        self.sensitive_column = column
        self.threshold = value


class DistinctLDiversity(_SensitiveModel):
    """Every class holds at least l distinct values of the sensitive column."""

    name, parameter = "distinct-l-diversity", "l"

    def __init__(self, column: str, l: int):
        super().__init__(column, int(l), 1)

    def measure(self, summary: ClassSummary) -> np.ndarray:
        pairs = summary.distributions[self.sensitive_column]
        return np.bincount(pairs.pair_class, minlength=len(summary))


class EntropyLDiversity(_SensitiveModel):
    """The sensitive values of every class have an entropy of at least log(l); measured as exp(entropy).

    Not monotonic with suppression: a merged class can fail although one of its parts passed.
    """

    name, parameter, monotonic = "entropy-l-diversity", "l", False

    def __init__(self, column: str, l: float):
        super().__init__(column, float(l), 1)

    def measure(self, summary: ClassSummary) -> np.ndarray:
        pairs = summary.distributions[self.sensitive_column]
        sizes = summary.sizes.astype(np.float64)
        weighted = np.bincount(pairs.pair_class, weights=pairs.pair_counts * np.log(pairs.pair_counts), minlength=len(summary))
        return np.exp(np.log(sizes) - weighted / sizes)


class EqualDistanceTCloseness(_SensitiveModel):
    """Every class's sensitive distribution is within t of the overall one (half the L1 distance)."""

    name, parameter, monotonic, at_least = "t-closeness", "t", False, False

    def __init__(self, column: str, t: float):
        super().__init__(column, float(t), 0)

    def measure(self, summary: ClassSummary) -> np.ndarray:
        pairs = summary.distributions[self.sensitive_column]
        overall = np.bincount(pairs.pair_value, weights=pairs.pair_counts, minlength=pairs.cardinality)
        overall = overall / overall.sum()
        share = pairs.pair_counts / summary.sizes[pairs.pair_class]
        excess = np.abs(share - overall[pairs.pair_value]) - overall[pairs.pair_value]
        return 0.5 * (1.0 + np.bincount(pairs.pair_class, weights=excess, minlength=len(summary)))
