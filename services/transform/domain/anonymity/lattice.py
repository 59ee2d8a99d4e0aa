"""The lattice of transformations: one generalization level per quasi-identifier."""
from __future__ import annotations

import numpy as np

from .errors import AnonymityError

MAX_NODES = 1_000_000


def enumerate_nodes(heights: list[int]) -> np.ndarray:
    """All transformations as rows of levels, bottom (all zeros) first."""
    size = int(np.prod(np.array(heights, dtype=np.float64)))
    if size > MAX_NODES:
        raise AnonymityError("too many combinations of generalization levels; reduce the quasi-identifiers")
    grids = np.meshgrid(*[np.arange(h, dtype=np.int16) for h in heights], indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1) if heights else np.zeros((1, 0), np.int16)


def specializations(nodes: np.ndarray, node: np.ndarray) -> np.ndarray:
    """Mask of the nodes at or below `node` in every quasi-identifier."""
    return (nodes <= node).all(axis=1)


class Lattice:
    """All transformations, with each column's "level at most l" masks precomputed: the search asks
    for the nodes below an evaluated one after every evaluation."""

    def __init__(self, heights: list[int]):
        self.nodes = enumerate_nodes(heights)
        self._at_most = [[self.nodes[:, q] <= level for level in range(height)] for q, height in enumerate(heights)]

    def below(self, node: np.ndarray) -> np.ndarray:
        """Mask of the nodes at or below `node` in every quasi-identifier."""
        mask = np.ones(len(self.nodes), dtype=bool)
        for at_most, level in zip(self._at_most, node):
            mask &= at_most[level]
        return mask
