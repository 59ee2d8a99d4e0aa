"""Generalization hierarchies: each leaf value of a column and its label at every level.

Values are handled as small integer codes so that generalizing a column is an array lookup.
"""
from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import HierarchyError

SUPPRESSED = "*"


@dataclass(eq=False)
class Hierarchy:
    """A tree over a column's domain: level 0 holds the leaves, the last level is the coarsest."""

    column: str
    labels: tuple[np.ndarray, ...]
    codes: tuple[np.ndarray, ...]

    @classmethod
    def from_rows(cls, column: str, rows: list[list[str]]) -> Hierarchy:
        """Builds from rows `leaf; level 1; …`, as in ARX hierarchy files."""
        if not rows or len({len(r) for r in rows}) != 1:
            raise HierarchyError(f"hierarchy of column '{column}' needs rows of equal length")
        table = np.array(rows, dtype=object)
        if len(set(table[:, 0])) != len(table):
            raise HierarchyError(f"hierarchy of column '{column}' repeats a leaf")
        leaves = table[:, 0].astype(str)
        labels, codes = [leaves.astype(object)], [np.arange(len(leaves), dtype=np.int32)]
        for level in range(1, table.shape[1]):
            uniques, inverse = np.unique(table[:, level].astype(str), return_inverse=True)
            labels.append(uniques.astype(object))
            codes.append(inverse.astype(np.int32))
        _check_tree(column, codes)
        return cls(column, tuple(labels), tuple(codes))

    @property
    def height(self) -> int:
        return len(self.codes)

    @property
    def domain_size(self) -> int:
        return len(self.codes[0])

    def cardinality(self, level: int) -> int:
        return len(self.labels[level])

    def encode(self, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Leaf codes of the values; any value outside the hierarchy fails naming only the column."""
        codes = pc.index_in(values.cast(pa.string()), value_set=self._leaf_array)
        if codes.null_count:
            raise HierarchyError.not_covering(self.column)
        return codes.to_numpy()

    @cached_property
    def _leaf_array(self) -> pa.Array:
        return pa.array(self.labels[0].astype(str), pa.string())

    def leaf_to_level(self, level: int) -> np.ndarray:
        """Lookup array from leaf code to the code of its label at `level`."""
        return self.codes[level]

    def recode(self, source: int, target: int) -> np.ndarray:
        """Lookup array from codes at level `source` to codes at the coarser level `target`."""
        return self._recodings[source][target]

    @cached_property
    def _recodings(self) -> list[list[np.ndarray]]:
        recodings = []
        for source in range(self.height):
            row = []
            for target in range(self.height):
                lookup = np.zeros(self.cardinality(source), dtype=np.int32)
                lookup[self.codes[source]] = self.codes[target]
                row.append(lookup)
            recodings.append(row)
        return recodings

    def shares(self, level: int) -> np.ndarray:
        """Share of the domain each label at `level` covers, as ARX's granularity counts it."""
        return self._shares[level]

    @cached_property
    def _shares(self) -> list[np.ndarray]:
        by_label = _label_shares(self)
        return [np.array([by_label[label] for label in labels], dtype=np.float64) for labels in self.labels]


def _label_shares(hierarchy: Hierarchy) -> dict[str, float]:
    """Label → share, later levels overriding equal labels exactly as the shared measure does."""
    size = float(hierarchy.domain_size)
    shares = {label: 1.0 / size for label in hierarchy.labels[0]}
    for level in range(1, hierarchy.height):
        counts = Counter(hierarchy.labels[level][hierarchy.codes[level]])
        shares.update({label: count / size for label, count in counts.items()})
    return shares


def _check_tree(column: str, codes: list[np.ndarray]) -> None:
    """Each label must have exactly one parent, or generalizing would not be a function."""
    for finer, coarser in zip(codes, codes[1:]):
        parents = pd.DataFrame({"f": finer, "c": coarser}).drop_duplicates()
        if parents["f"].duplicated().any():
            raise HierarchyError(f"hierarchy of column '{column}' gives a label two parents")


def load_hierarchy(path: Path, column: str, sep: str = ";") -> Hierarchy:
    """Reads one hierarchy CSV (column 0 = leaf, then one column per level)."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle, delimiter=sep) if row]
    return Hierarchy.from_rows(column, rows)


def load_hierarchies(directory: Path, columns: list[str], sep: str = ";") -> dict[str, Hierarchy]:
    """Finds exactly one `*hierarchy_<column>.csv` per column in `directory`."""
    found = {}
    for column in columns:
        matches = sorted(Path(directory).glob(f"*hierarchy_{column}.csv"))
        if len(matches) != 1:
            raise HierarchyError(f"expected one hierarchy file for column '{column}', found {len(matches)}")
        found[column] = load_hierarchy(matches[0], column, sep)
    return found
