"""Applying the chosen transformation to a partition of records (the streaming second pass)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from .encoding import leaf_codes
from .hierarchy import SUPPRESSED, Hierarchy
from .keys import decodable_key, group
from .search import Evaluation


@dataclass(frozen=True)
class RecodingPlan:
    """What every partition needs: levels per quasi-identifier and the class keys to suppress."""

    hierarchies: tuple[Hierarchy, ...]
    node: tuple[int, ...]
    suppressed_classes: np.ndarray

    @classmethod
    def from_evaluation(cls, evaluation: Evaluation, hierarchies: dict[str, Hierarchy]) -> RecodingPlan:
        table = evaluation.table
        keys = decodable_key(list(table.codes), list(table.cardinalities))
        failing_keys = np.unique(keys[evaluation.failing[evaluation.row_class]])
        return cls(tuple(hierarchies[q] for q in table.quasi_identifiers), evaluation.node, failing_keys)

    @property
    def cardinalities(self) -> list[int]:
        return [h.cardinality(level) for h, level in zip(self.hierarchies, self.node)]

    @cached_property
    def _suppressed_index(self) -> pd.Index:
        """Hash index of the suppressed class keys, built once per worker and reused by its partitions."""
        return pd.Index(self.suppressed_classes)

    def suppresses(self, keys: np.ndarray) -> np.ndarray:
        """Which class keys belong to failing classes."""
        return self._suppressed_index.get_indexer(keys) >= 0


@dataclass(frozen=True)
class RecodedPartition:
    """The released records and the class sizes among them, for independent verification."""

    table: pa.Table
    suppressed: int
    class_keys: np.ndarray
    class_sizes: np.ndarray


def recode_partition(encoded: pa.Table, plan: RecodingPlan) -> RecodedPartition:
    """Generalizes the encoded quasi-identifiers and puts '*' in all of them for records of failing classes."""
    generalized = [h.leaf_to_level(level)[leaf_codes(encoded, h.column)] for h, level in zip(plan.hierarchies, plan.node)]
    keys = decodable_key(generalized, plan.cardinalities)
    suppressed = plan.suppresses(keys)
    released = encoded
    for h, level, codes in zip(plan.hierarchies, plan.node, generalized):
        labels = pa.array(np.append(h.labels[level], SUPPRESSED).astype(str), pa.string())
        indices = pa.array(np.where(suppressed, len(labels) - 1, codes).astype(np.int32))
        column = pa.DictionaryArray.from_arrays(indices, labels)
        released = released.set_column(released.schema.get_field_index(h.column), h.column, column)
    kept = keys[~suppressed]
    inverse, representative = group(kept, int(np.prod(np.array(plan.cardinalities, dtype=np.float64))))
    sizes = np.bincount(inverse, minlength=len(representative)).astype(np.int64)
    return RecodedPartition(released, int(suppressed.sum()), kept[representative], sizes)

