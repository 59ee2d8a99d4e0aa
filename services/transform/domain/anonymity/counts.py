"""Row counts per combination of quasi-identifier codes: all the search needs to know of the data."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from .encoding import leaf_codes
from .hierarchy import Hierarchy
from .keys import combined_key, decodable_key, group, split_key


@dataclass(frozen=True)
class CountsTable:
    """Counts per distinct combination of QI codes at `levels` (and of sensitive value codes)."""

    quasi_identifiers: tuple[str, ...]
    levels: tuple[int, ...]
    cardinalities: tuple[int, ...]
    codes: tuple[np.ndarray, ...]
    counts: np.ndarray
    sensitive: dict[str, np.ndarray]
    sensitive_cardinality: dict[str, int]

    @property
    def rows(self) -> int:
        return int(self.counts.sum())

    def __len__(self) -> int:
        return len(self.counts)


def roll_up(table: CountsTable, hierarchies: dict[str, Hierarchy], node: tuple[int, ...]) -> CountsTable:
    """Generalizes every combination to `node` and merges those that became equal."""
    generalized = [
        codes if source == target else hierarchies[q].recode(source, target)[codes]
        for q, source, target, codes in zip(table.quasi_identifiers, table.levels, node, table.codes)
    ]
    cardinalities = [hierarchies[q].cardinality(level) for q, level in zip(table.quasi_identifiers, node)]
    key, space = combined_key(
        generalized + list(table.sensitive.values()),
        cardinalities + list(table.sensitive_cardinality.values()),
    )
    inverse, representative = group(key, space)
    counts = np.bincount(inverse, weights=table.counts, minlength=len(representative)).astype(np.int64)
    return CountsTable(
        table.quasi_identifiers,
        tuple(node),
        tuple(cardinalities),
        tuple(g[representative] for g in generalized),
        counts,
        {c: v[representative] for c, v in table.sensitive.items()},
        table.sensitive_cardinality,
    )


COUNT = "count"
KEY = "key"


def count_partition(
    encoded: pa.Table, hierarchies: dict[str, Hierarchy], quasi_identifiers: list[str], sensitive: list[str]
) -> pd.DataFrame:
    """Counts of one encoded partition per combination of leaf codes (one int64 key) and sensitive values."""
    codes = [leaf_codes(encoded, q) for q in quasi_identifiers]
    key = decodable_key(codes, [hierarchies[q].domain_size for q in quasi_identifiers])
    frame = pd.DataFrame({KEY: key})
    for column in sensitive:
        frame[column] = encoded[column].cast(pa.string()).fill_null("").to_pandas()
    return frame.groupby(list(frame.columns), sort=False).size().rename(COUNT).reset_index()


def merge_counts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Sums partition counts; associative, so it runs as a tree reduction."""
    frame = pd.concat(parts, ignore_index=True)
    keys = [c for c in frame.columns if c != COUNT]
    return frame.groupby(keys, sort=False)[COUNT].sum().reset_index()


def counts_table(frame: pd.DataFrame, hierarchies: dict[str, Hierarchy], quasi_identifiers: list[str]) -> CountsTable:
    """The search's view of merged counts: leaf codes per column, sensitive values as codes."""
    cardinalities = [hierarchies[q].domain_size for q in quasi_identifiers]
    codes = split_key(frame[KEY].to_numpy(np.int64), cardinalities)
    sensitive, sensitive_cardinality = {}, {}
    for column in frame.columns.drop([KEY, COUNT]):
        values, uniques = pd.factorize(frame[column])
        sensitive[column] = values.astype(np.int32)
        sensitive_cardinality[column] = len(uniques)
    return CountsTable(
        tuple(quasi_identifiers),
        (0,) * len(quasi_identifiers),
        tuple(cardinalities),
        tuple(codes),
        frame[COUNT].to_numpy(np.int64),
        sensitive,
        sensitive_cardinality,
    )
