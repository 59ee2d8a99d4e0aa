"""Turn string record batches into canonical typed Arrow according to the register entry.

Every cell is NFKC-normalized (full-width digits and ASCII become half-width, half-width katakana
becomes full-width, the ideographic space becomes a space) and trimmed; an empty cell is null.
A cell that does not parse as its item's type becomes null and is reported by row and column.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..distinct import per_distinct
from ..errors import TransformError
from ..schema import ItemType, RegisterEntry, RowProblem
from .dates import parse_dates

CodeValidator = Callable[[pa.Array], pa.Array]
"""Takes normalized strings, returns a boolean array: true where the code is valid."""

ARROW_TYPES = {
    ItemType.TEXT: pa.string(),
    ItemType.CODE: pa.string(),
    ItemType.INTEGER: pa.int64(),
    ItemType.DECIMAL: pa.float64(),
    ItemType.DATE: pa.date32(),
}
_INTEGER = r"^[+-]?\d{1,18}$"
_DECIMAL = r"^[+-]?(\d{1,15}(\.\d*)?|\.\d+)$"


@dataclass(frozen=True)
class NormalizedBatch:
    batch: pa.RecordBatch
    problems: tuple[RowProblem, ...]
    problem_count: int


def canonical_schema(entry: RegisterEntry) -> pa.Schema:
    return pa.schema([(i.name, ARROW_TYPES[i.type]) for i in entry.items])


def normalize_text(values: pa.Array) -> pa.Array:
    """NFKC, trim, empty → null; once per distinct value when a sample shows few of them (names, codes)."""
    return per_distinct(values.cast(pa.string()), _normalized)


def _normalized(values: pa.Array) -> pa.Array:
    text = pc.utf8_trim_whitespace(pc.utf8_normalize(values, form="NFKC"))
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def normalize_batch(
    batch: pa.RecordBatch,
    entry: RegisterEntry,
    first_row: int = 1,
    validators: Mapping[str, CodeValidator] | None = None,
    max_problems: int = 1000,
) -> NormalizedBatch:
    """Type every register item; `first_row` is the record number of the batch's first row."""
    missing = [i.name for i in entry.items if i.name not in batch.schema.names]
    if missing:
        raise TransformError(f"columns missing from the file: {', '.join(missing)}")
    columns, problems, count = [], [], 0
    for item in entry.items:
        text = normalize_text(batch.column(item.name))
        validator = (validators or {}).get(item.name)
        typed, bad = _convert(text, item.type, validator)
        columns.append(typed)
        rows = np.flatnonzero(bad)
        count += len(rows)
        room = max(0, max_problems - len(problems))
        reason = f"not a valid {item.type.value}"
        problems.extend(RowProblem(first_row + int(r), item.name, reason) for r in rows[:room])
    typed_batch = pa.RecordBatch.from_arrays(columns, schema=canonical_schema(entry))
    return NormalizedBatch(typed_batch, tuple(problems), count)


def _convert(text: pa.Array, item_type: ItemType, validator: CodeValidator | None) -> tuple[pa.Array, np.ndarray]:
    if item_type is ItemType.DATE:
        return parse_dates(text)
    if item_type in (ItemType.INTEGER, ItemType.DECIMAL):
        return _number(text, item_type)
    if item_type is ItemType.CODE and validator is not None:
        ok = pc.or_kleene(validator(text), pc.is_null(text)).fill_null(True)
        return pc.if_else(ok, text, pa.scalar(None, pa.string())), ~ok.to_numpy(zero_copy_only=False)
    return text, np.zeros(len(text), dtype=bool)


def _number(text: pa.Array, item_type: ItemType) -> tuple[pa.Array, np.ndarray]:
    plain = pc.replace_substring(text, ",", "")
    pattern = _INTEGER if item_type is ItemType.INTEGER else _DECIMAL
    ok = pc.match_substring_regex(plain, pattern)
    typed = pc.cast(pc.if_else(ok, plain, pa.scalar(None, pa.string())), ARROW_TYPES[item_type])
    bad = ~ok.fill_null(True).to_numpy(zero_copy_only=False)
    return typed, bad
