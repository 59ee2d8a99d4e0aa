"""Information loss as ARX's granularity measures it, so results compare with ARX's.

Per quasi-identifier cell: the share of the hierarchy's leaves the output value covers
(1/D untouched, 1 for a suppressed cell), averaged per column and normalized.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .hierarchy import Hierarchy


@dataclass(frozen=True)
class Granularity:
    """Granularity (higher is better, 1.0 = untouched) overall and per column."""

    value: float
    normalized: float
    column_loss: dict[str, float]


def marginal_loss(hierarchy: Hierarchy, leaf_counts: np.ndarray) -> np.ndarray:
    """Sum of cell shares of a column at each level, without suppression: a lower bound of its loss."""
    return np.array(
        [float(leaf_counts @ hierarchy.shares(level)[hierarchy.leaf_to_level(level)]) for level in range(hierarchy.height)]
    )


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
