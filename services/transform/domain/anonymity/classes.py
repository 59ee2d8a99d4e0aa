"""Equivalence classes at one transformation: what privacy models judge."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .counts import CountsTable
from .keys import combined_key, group


@dataclass(frozen=True)
class SensitiveDistribution:
    """Counts of each sensitive value present in each class, one entry per (class, value) pair."""

    pair_class: np.ndarray
    pair_value: np.ndarray
    pair_counts: np.ndarray
    cardinality: int


@dataclass(frozen=True)
class ClassSummary:
    """Class sizes plus, when a model needs them, sensitive value distributions per class."""

    sizes: np.ndarray
    distributions: dict[str, SensitiveDistribution]

    def __len__(self) -> int:
        return len(self.sizes)


def summarize(table: CountsTable, with_distributions: bool) -> tuple[ClassSummary, np.ndarray]:
    """Class summary of a rolled-up table and the class index of each of its rows."""
    if not table.sensitive:
        return ClassSummary(table.counts, {}), np.arange(len(table))
    key, space = combined_key(list(table.codes), list(table.cardinalities))
    row_class, _ = group(key, space)
    classes = int(row_class.max()) + 1 if len(row_class) else 0
    sizes = np.bincount(row_class, weights=table.counts, minlength=classes).astype(np.int64)
    distributions = {}
    if with_distributions:
        distributions = {
            column: _distribution(row_class, values, table.counts, table.sensitive_cardinality[column])
            for column, values in table.sensitive.items()
        }
    return ClassSummary(sizes, distributions), row_class


def _distribution(row_class: np.ndarray, values: np.ndarray, counts: np.ndarray, cardinality: int) -> SensitiveDistribution:
    key = row_class.astype(np.int64) * cardinality + values
    pair, representative = group(key, (int(row_class.max()) + 1) * cardinality)
    pair_counts = np.bincount(pair, weights=counts, minlength=len(representative)).astype(np.int64)
    return SensitiveDistribution(row_class[representative], values[representative], pair_counts, cardinality)
