"""Information loss: what the search minimizes and what the report measures, as ARX defines them.

A column's total is the sum over its cells of the share of the hierarchy's leaves the output
value covers (1/D untouched, 1 for a suppressed cell). Utility measures aggregate the column
totals into one loss; each is non-decreasing in every column total, so a lower bound per column
gives a lower bound of the loss and the search can prune with it.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from .errors import AnonymityError
from .hierarchy import Hierarchy


@dataclass(frozen=True)
class Granularity:
    """Granularity (higher is better, 1.0 = untouched) overall and per column."""

    value: float
    normalized: float
    column_loss: dict[str, float]


def marginal_loss(hierarchy: Hierarchy, leaf_counts: np.ndarray) -> np.ndarray:
    """Sum of cell shares of a column at each level, without suppression: a lower bound of its total."""
    return np.array(
        [float(leaf_counts @ hierarchy.shares(level)[hierarchy.leaf_to_level(level)]) for level in range(hierarchy.height)]
    )


def column_losses(totals: np.ndarray, rows: int, domain_sizes: np.ndarray) -> np.ndarray:
    """Each column's loss normalized to 0 (untouched) .. 1 (fully generalized or suppressed)."""
    floor = rows / domain_sizes
    spread = np.where(domain_sizes > 1, rows - floor, 1.0)
    return np.clip((totals - floor) / spread, 0.0, 1.0)


class UtilityMeasure(ABC):
    """Aggregates column totals (last axis) into the loss the search minimizes."""

    name: str

    @abstractmethod
    def loss(self, totals: np.ndarray, rows: int, domain_sizes: np.ndarray) -> np.ndarray:
        """The loss of every row of column totals."""


class LossMeasure(UtilityMeasure):
    """ARX's default quality model ("Loss", generalization and suppression weighted equally): the
    geometric mean of one plus each column's normalized loss, minus one. Loss concentrated in a few
    columns costs less than the same loss spread over all of them, as suppressing a row spreads it;
    so it generalizes some columns further rather than suppress rows."""

    name = "loss"

    def loss(self, totals: np.ndarray, rows: int, domain_sizes: np.ndarray) -> np.ndarray:
        per_column = column_losses(totals, rows, domain_sizes)
        return np.exp(np.log1p(per_column).mean(axis=-1)) - 1.0


class GranularityMeasure(UtilityMeasure):
    """One minus granularity (the arithmetic mean of the cell shares, normalized), so the search
    maximizes granularity itself, even where that suppresses more rows."""

    name = "granularity"

    def loss(self, totals: np.ndarray, rows: int, domain_sizes: np.ndarray) -> np.ndarray:
        floor = (1.0 / domain_sizes).mean()
        spread = 1.0 - floor if floor < 1.0 else 1.0
        return (totals.mean(axis=-1) / max(rows, 1) - floor) / spread


UTILITY_MEASURES = {measure.name: measure for measure in (LossMeasure(), GranularityMeasure())}
DEFAULT_UTILITY = LossMeasure.name


def utility_measure(name: str) -> UtilityMeasure:
    """The registered measure of that name."""
    try:
        return UTILITY_MEASURES[name]
    except KeyError:
        raise AnonymityError(f"argument 'utility' must be one of {', '.join(sorted(UTILITY_MEASURES))}") from None


def granularity(column_totals: dict[str, float], rows: int, hierarchies: dict[str, Hierarchy]) -> Granularity:
    """The formula of ARX's getGranularity (arithmetic mean, plain and normalized)."""
    columns = list(column_totals)
    means = np.array([column_totals[q] / rows for q in columns]) if rows else np.ones(len(columns))
    minima = np.array([1.0 / hierarchies[q].domain_size for q in columns])
    spread = 1.0 - minima.mean()
    plain = (means.mean() - minima.mean()) / spread if spread > 0 else 0.0
    per_column = np.divide(means - minima, 1.0 - minima, out=np.zeros_like(means), where=minima < 1.0)
    return Granularity(
        value=1.0 - float(np.clip(plain, 0.0, 1.0)),
        normalized=1.0 - float(np.clip(per_column.mean(), 0.0, 1.0)),
        column_loss={q: float(loss) for q, loss in zip(columns, per_column)},
    )
