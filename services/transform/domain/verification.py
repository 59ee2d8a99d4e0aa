"""Independent check of an output table against its policy and register entry (Art. 11 measures 1–5).

It reads the output data, not the code that made it: batches go through `Verifier.update` (one per
partition, mergeable with `merge`), and `finish` gives each measure's status with its evidence.
Evidence holds counts and column names only, never a value, threshold, key or seed.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from .localgov import REGIONS
from .measures import VerificationResult, evaluate
from .operators._coding import label
from .operators.random_token import TOKEN_PATTERN
from .operators.suppress_rare import SUPPRESSED
from .policy import Policy
from .scanner import scan
from .schema import ItemRole, ItemType, RegisterEntry

# A municipality or prefecture (name or code), or what measure 5 may make of one: a region or '*'.
_GENERALIZED_ADDRESS = r"^(\d{2}|\d{6}|[^0-9]*[都道府県市区町村]|" + "|".join(REGIONS) + r"|\*)$"


def value_hashes(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Sorted 64-bit hashes of a column's values, to compare output tokens with input values.

    The hashes come from polars, stable for one pinned polars version; compute both sides with it.
    """
    series = pl.Series(pc.cast(column, pa.string())).drop_nulls()
    return np.sort(series.hash(seed=0).to_numpy())


def token_shaped_hashes(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Hashes of the input values shaped like a token: the only ones an output token could equal.

    Municipal linking codes are hardly ever shaped so, which keeps the measure-3 check's memory
    flat however large the file is.
    """
    text = pc.cast(column, pa.string())
    return value_hashes(pc.filter(text, pc.match_substring_regex(text, TOKEN_PATTERN).fill_null(False)))


@dataclass
class Verifier:
    policy: Policy
    entry: RegisterEntry
    input_hashes: Mapping[str, np.ndarray] = field(default_factory=dict)
    k_target: int | None = None
    l_targets: Mapping[str, int] = field(default_factory=dict)  # sensitive item → distinct l wanted
    rows: int = 0
    tallies: Counter = field(default_factory=Counter)
    categories: dict[str, Counter] = field(default_factory=dict)
    classes: Counter = field(default_factory=Counter)
    types: dict[str, str] = field(default_factory=dict)
    diversity: dict[str, dict[tuple, set]] = field(default_factory=dict)
    """Per sensitive item and class, its distinct values, kept only up to the l wanted."""

    def update(self, table: pa.Table | pa.RecordBatch) -> None:
        """Take one batch or partition of the output into account."""
        self.rows += table.num_rows
        for name in table.schema.names:
            column = table.column(name)
            self.types[name] = str(column.type)
            self._tally_column(name, column)
        for finding in scan(table):
            self.tallies[f"finding:{finding.kind.value}"] += 1
        self._tally_classes(table)

    def note_extract(self, table: pa.Table | pa.RecordBatch) -> None:
        """Count the identification codes hidden in the extract's free text (the columns that are
        neither codes nor identifiers), so the report can show they were found and did not survive."""
        free_text = [i.name for i in self.entry.items if i.type is ItemType.TEXT
                     and i.role in (ItemRole.OTHER, ItemRole.SENSITIVE) and i.name in table.schema.names]
        if free_text:
            for finding in scan(table.select(free_text)):
                self.tallies[f"extract_finding:{finding.kind.value}"] += 1

    def merge(self, other: Verifier) -> None:
        """Add another partition's verifier (same policy and entry)."""
        self.rows += other.rows
        self.tallies.update(other.tallies)
        self.classes.update(other.classes)
        self.types.update(other.types)
        for name, counts in other.categories.items():
            self.categories.setdefault(name, Counter()).update(counts)
        for item, by_class in other.diversity.items():
            for key, values in by_class.items():
                self._note_values(item, key, values)

    def finish(self) -> VerificationResult:
        return evaluate(self)

    def quasi_identifiers(self) -> list[str]:
        roles = (ItemRole.QUASI_IDENTIFIER, ItemRole.IDENTIFIER)
        return [i.name for i in self.entry.items if i.role in roles and i.name in self.types]

    def _tally_column(self, name: str, column: pa.ChunkedArray | pa.Array) -> None:
        self.tallies[f"nulls:{name}"] += column.null_count
        if not pa.types.is_string(column.type):
            return
        self.tallies[f"suppressed:{name}"] += pc.sum(pc.equal(column, SUPPRESSED)).as_py() or 0
        role = self.entry.item(name).role if self.entry.item(name) else None
        if role in (ItemRole.IDENTIFIER, ItemRole.LINKING_CODE):
            self.tallies[f"not_token:{name}"] += _count_not(column, TOKEN_PATTERN)
        if role is ItemRole.IDENTIFIER:
            self.tallies[f"not_generalized:{name}"] += _count_not(column, _GENERALIZED_ADDRESS)
        if name in self.input_hashes and len(column):
            hashes = value_hashes(column)
            known = self.input_hashes[name]
            at = np.clip(np.searchsorted(known, hashes), 0, max(len(known) - 1, 0))
            self.tallies[f"collisions:{name}"] += int((known[at] == hashes).sum()) if len(known) else 0
        for rule in self.policy.rules_for(name):
            self._tally_rule(name, column, rule.operator, rule.params)

    def _tally_rule(self, name: str, column: pa.ChunkedArray | pa.Array, operator: str, params: object) -> None:
        if operator in ("top_code", "bottom_code") and params.threshold is not None:
            top = operator == "top_code"
            plain = pc.if_else(pc.equal(column, label(params.threshold, top)), pa.scalar(None, pa.string()), column)
            numbers = pc.cast(plain, pa.float64())
            beyond = (pc.greater_equal if top else pc.less_equal)(numbers, params.threshold)
            self.tallies[f"out_of_bounds:{name}"] += pc.sum(beyond).as_py() or 0
        if operator == "suppress_rare":
            counts = pc.value_counts(column.drop_null())
            part = Counter(dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())))
            part.pop(SUPPRESSED, None)
            self.categories.setdefault(name, Counter()).update(part)

    def _tally_classes(self, table: pa.Table | pa.RecordBatch) -> None:
        """Class sizes over the quasi-identifiers; a record suppressed in all of them (measure 5's
        record suppression) belongs to no class."""
        keys = self.quasi_identifiers()
        if not keys:
            self.classes[()] += table.num_rows
            return
        rare = [pc.equal(table.column(k), SUPPRESSED).fill_null(False) if pa.types.is_string(table.column(k).type)
                else pa.array(np.zeros(table.num_rows, dtype=bool)) for k in keys]
        any_rare, all_rare = rare[0], rare[0]
        for mask in rare[1:]:
            any_rare, all_rare = pc.or_(any_rare, mask), pc.and_(all_rare, mask)
        self.tallies["suppressed_rows"] += pc.sum(any_rare).as_py() or 0
        self.tallies["suppressed_records"] += pc.sum(all_rare).as_py() or 0
        kept = pa.table({k: table.column(k) for k in keys}).filter(pc.invert(all_rare))
        grouped = kept.group_by(keys).aggregate([([], "count_all")])
        counts = grouped.column("count_all").to_pylist()
        self.classes.update(dict(zip(zip(*(grouped.column(k).to_pylist() for k in keys)), counts)))
        for item in self.l_targets:
            if item in table.schema.names:
                pairs = pa.table({**{k: table.column(k) for k in keys}, item: table.column(item)}) \
                    .filter(pc.invert(all_rare)).group_by([*keys, item]).aggregate([])
                values = pairs.column(item).to_pylist()
                for key, value in zip(zip(*(pairs.column(k).to_pylist() for k in keys)), values):
                    self._note_values(item, key, (value,))

    def _note_values(self, item: str, key: tuple, values) -> None:
        """Distinct values of a class, no more than l of them: enough to tell whether it has l."""
        seen = self.diversity.setdefault(item, {}).setdefault(key, set())
        for value in values:
            if len(seen) >= self.l_targets[item]:
                return
            seen.add(value)

    def achieved_l(self) -> dict[str, int]:
        """Per sensitive item, the fewest distinct values in a class (at most the l wanted)."""
        return {item: min((len(self.diversity.get(item, {}).get(key, ())) for key in self.classes), default=0)
                for item in self.l_targets}


def _count_not(column: pa.ChunkedArray | pa.Array, pattern: str) -> int:
    matches = pc.match_substring_regex(column, pattern)
    return len(column) - column.null_count - (pc.sum(matches).as_py() or 0)
