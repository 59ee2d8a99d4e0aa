"""The per-recipient fingerprint: every delivered copy is marked for its recipient, analytically unchanged.

A copy must name its recipient even when only a sample of its rows leaks, re-sorted, with some
columns dropped. Row order alone cannot survive re-sorting, so the mark lives in which values share
a row. The dataset's columns are read as three kinds:

- **anchors**: columns with at most ``ANCHOR_MAX_DISTINCT`` distinct values (sex, age band, area …),
  the columns analyses group by. Rows with the same values of every anchor form a *stratum*.
- **tokens**: linking-code columns (Art. 11 measure 3 tokens, 32 lowercase hex digits).
- **carriers**: every other column (dates, amounts, other fine-grained values).

For each recipient, keyed by HMAC of the organization's key (``key``, never delivered):

1. **keyed pairing** — for each carrier, the rows of each stratum are ordered by that carrier's
   value and taken two by two (1st and 2nd, 3rd and 4th …); a keyed bit decides whether the two
   rows exchange their values of that carrier. Each carrier gets its own bits, so which value of one
   carrier sits next to which value of another differs from recipient to recipient;
2. **keyed relabelling of tokens** — each distinct token is replaced by a keyed MAC of it, the same
   for every row carrying it (a bijection: a collision is refused);
3. **keyed row order** — the rows are put in a keyed order.

What stays exactly as in the dataset, for every recipient:

- the number of rows, and every column's multiset of values (every count, distribution, mean,
  quantile of a single column), tokens apart: a token column keeps its frequency spectrum (how many
  tokens occur once, twice …) and which rows share a token, under other labels;
- the joint distribution of all anchors together, and of all anchors with any one carrier: any
  table or statistic of one carrier by any combination of anchors (mean premium by sex × age band)
  is exactly the dataset's;
- with a single carrier, the whole table, row for row (token labels apart).

What changes: within a stratum, a carrier's value may move to the row holding the next or previous
value of that same carrier, and each carrier moves independently. So statistics that pair two
carriers (a correlation between birth date and premium) change only by such neighbour exchanges
in each of them; statistics of a carrier against the anchors do not change at all.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from services.common.errors import FailedPrecondition

ANCHOR_MAX_DISTINCT = 16
TOKEN = re.compile(r"^[0-9a-f]{32}$")
_NULL = "\x00"


@dataclass(frozen=True)
class Layout:
    """Which columns are anchors, carriers and tokens; derived from the dataset alone."""

    anchors: tuple[str, ...]
    carriers: tuple[str, ...]
    tokens: tuple[str, ...]


def column_values(table: pa.Table, name: str) -> np.ndarray:
    """A column as an object array of strings (None for a missing value)."""
    column = table.column(name)
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        column = column.cast(pa.string())
    return np.array(column.to_pylist(), dtype=object)


def layout(table: pa.Table) -> Layout:
    anchors, carriers, tokens = [], [], []
    for name in table.column_names:
        values = column_values(table, name)
        present = {v for v in values if v is not None}
        if present and all(TOKEN.match(v) for v in present) and len(present) > ANCHOR_MAX_DISTINCT:
            tokens.append(name)
        elif len(present) <= ANCHOR_MAX_DISTINCT:
            anchors.append(name)
        else:
            carriers.append(name)
    return Layout(tuple(anchors), tuple(carriers), tuple(tokens))


def _stream(key: bytes, *context: str, size: int) -> bytes:
    """``size`` keyed pseudo-random bytes for one purpose; stable across library versions."""
    seed = hmac.new(key, "\x1f".join(context).encode(), hashlib.sha256).digest()
    return hashlib.shake_256(seed).digest(size)


def _strata(table: pa.Table, anchors: tuple[str, ...]) -> np.ndarray:
    """The stratum number of each row: rows with equal values of every anchor share one."""
    if not anchors:
        return np.zeros(table.num_rows, dtype=np.int64)
    keys = np.array(["\x1f".join(_NULL if v is None else v for v in row)
                     for row in zip(*(column_values(table, a) for a in anchors))], dtype=object)
    return np.unique(keys, return_inverse=True)[1].astype(np.int64)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Each value's rank: numeric order when every present value is a number, else text order."""
    present = [v for v in values if v is not None]
    try:
        numbers = np.array([float(v) for v in present])
        keys = np.array([-np.inf if v is None else float(v) for v in values])
        if np.isnan(numbers).any():
            raise ValueError
    except ValueError:
        keys = np.array([_NULL if v is None else v for v in values], dtype=object)
    return np.unique(keys, return_inverse=True)[1].astype(np.int64)


def _pair_swap(values: np.ndarray, strata: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """Row indices that exchange the values of neighbouring rows (by rank, within a stratum) where
    the pair's bit is set: the new column is ``column.take(result)``."""
    n = len(values)
    order = np.lexsort((np.arange(n), _ranks(values), strata))
    sorted_strata = strata[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_strata)) + 1] if n else np.zeros(0, dtype=np.int64)
    lengths = np.diff(np.r_[starts, n])
    position = np.arange(n) - np.repeat(starts, lengths)
    first = np.flatnonzero((position % 2 == 0) & (position + 1 < np.repeat(lengths, lengths)) & bits[:n])
    source = order.copy()
    source[first], source[first + 1] = order[first + 1], order[first]
    result = np.empty(n, dtype=np.int64)
    result[order] = source
    return result


def relabel_tokens(values: np.ndarray, key: bytes, dataset_id: str, recipient: str, column: str) -> np.ndarray:
    """A keyed bijection of token values: the same token always gets the same new label."""
    secret = hmac.new(key, "\x1f".join(("token", dataset_id, recipient, column)).encode(), hashlib.sha256).digest()
    labels = {v: hmac.new(secret, v.encode(), hashlib.sha256).hexdigest()[:32]
              for v in {v for v in values if v is not None}}
    if len(set(labels.values())) != len(labels):
        raise FailedPrecondition(f"{column}: two tokens got one label; the fingerprint was not applied")
    return np.array([None if v is None else labels[v] for v in values], dtype=object)


def fingerprint(table: pa.Table, key: bytes, dataset_id: str, recipient: str) -> pa.Table:
    """The recipient's copy of ``table``: the same columns and types, values marked as described above."""
    shape = layout(table)
    n = table.num_rows
    strata = _strata(table, shape.anchors)
    columns = []
    for name in table.column_names:
        column = table.column(name)
        if name in shape.carriers:
            bits = np.unpackbits(np.frombuffer(_stream(key, "pair", dataset_id, recipient, name,
                                                       size=(n + 7) // 8 or 1), dtype=np.uint8)).astype(bool)
            column = column.take(pa.array(_pair_swap(column_values(table, name), strata, bits)))
        elif name in shape.tokens:
            labels = relabel_tokens(column_values(table, name), key, dataset_id, recipient, name)
            column = pa.chunked_array([pa.array(list(labels), type=pa.string())]).cast(column.type)
        columns.append(column)
    order = np.argsort(np.frombuffer(_stream(key, "rows", dataset_id, recipient, size=8 * n or 8), dtype=">u8")[:n],
                       kind="stable")
    return pa.Table.from_arrays(columns, schema=table.schema).take(pa.array(order))
