"""Combining several small code columns into one int64 key, and grouping by it."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import AnonymityError

_KEY_LIMIT = 1 << 62
_DENSE_GROUPING_LIMIT = 1 << 24


def combined_key(columns: list[np.ndarray], cardinalities: list[int]) -> tuple[np.ndarray, int]:
    """Mixed-radix key of the columns and the size of its key space; renumbers densely when it would overflow."""
    length = len(columns[0]) if columns else 0
    key, space = np.zeros(length, dtype=np.int64), 1
    for column, cardinality in zip(columns, cardinalities):
        if space * cardinality >= _KEY_LIMIT:
            key = np.unique(key, return_inverse=True)[1].astype(np.int64)
            space = int(key.max()) + 1 if length else 1
        key = key * cardinality + column
        space *= cardinality
    return key, space


def decodable_key(columns: list[np.ndarray], cardinalities: list[int]) -> np.ndarray:
    """Mixed-radix key that `split_key` can decode; fails when the domains are too large to combine."""
    if float(np.prod(np.array(cardinalities, dtype=np.float64))) >= _KEY_LIMIT:
        raise AnonymityError("quasi-identifier domains are too large to combine into one key")
    return combined_key(columns, cardinalities)[0]


def split_key(key: np.ndarray, cardinalities: list[int]) -> list[np.ndarray]:
    """Inverse of `decodable_key`."""
    columns, rest = [], key.copy()
    for cardinality in reversed(cardinalities):
        columns.append((rest % cardinality).astype(np.int32))
        rest //= cardinality
    return columns[::-1]


def group(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Group index of every element and one representative position per group.

    Uses a dense count over the key space when it is small, hashing otherwise.
    """
    if space <= _DENSE_GROUPING_LIMIT and space <= 2 * len(key) + 1024:
        present = np.bincount(key, minlength=space) > 0
        rank = np.cumsum(present) - 1
        inverse = rank[key]
        groups = int(present.sum())
    else:
        inverse, uniques = pd.factorize(key)
        groups = len(uniques)
    representative = np.empty(groups, dtype=np.int64)
    representative[inverse] = np.arange(len(key))
    return inverse, representative
