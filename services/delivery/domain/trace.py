"""Naming the recipient of a leaked copy from the fingerprint its rows still carry.

A leaked file may hold only a sample of a copy's rows, in any order, with columns dropped. Each of
its rows, reduced to the columns it kept, either occurs in a recipient's copy reduced the same way
or not. Every row of the true recipient's copy occurs in it; a row of someone else's copy occurs by
chance only, at a rate ``p0`` measured on the other copies and the unmarked dataset. Per recipient,
the log-likelihood ratio of "this recipient's copy" (a row occurs with probability ``1 - EDITED``,
allowing a few edited rows) against "no recipient's copy" (it occurs with ``p0``) is the evidence;
with equal priors over the recipients and "none", its softmax is the confidence, and the binomial
tail of the matches under ``p0`` is the p-value.

What the fingerprint needs to survive: two carrier columns or a token column (see
``fingerprint``); with fewer, every copy looks alike and no recipient is named.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from services.common.errors import InvalidArgument
from services.delivery.domain.fingerprint import column_values

EDITED = 0.02
MIN_CONFIDENCE = 0.99
MAX_P_VALUE = 1e-6
_P0_BOUNDS = (1e-4, 0.999)


@dataclass(frozen=True)
class Score:
    recipient: str
    matched: int
    log_likelihood_ratio: float
    confidence: float
    p_value: float


@dataclass(frozen=True)
class Verdict:
    recipient: str  # empty: no recipient matches
    confidence: float
    p_value: float
    rows_examined: int
    columns_used: tuple[str, ...]
    scores: tuple[Score, ...]

    @property
    def conclusion(self) -> str:
        if self.recipient:
            return (f"the file comes from the copy delivered to {self.recipient} "
                    f"(confidence {self.confidence:.6f}, p-value {self.p_value:.3g})")
        return "no recipient's copy matches the file"


def read_leaked(data: bytes) -> pa.Table:
    """A leaked file as a table of strings: Parquet, or CSV with a header in UTF-8 or CP932."""
    if data[:4] == b"PAR1":
        try:
            return pq.read_table(io.BytesIO(data))
        except (pa.ArrowException, OSError):
            raise InvalidArgument("file", "not a readable Parquet file") from None
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidArgument("file", "neither Parquet nor CSV in UTF-8 or CP932")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise InvalidArgument("file", "neither Parquet nor well-formed CSV") from None
    if len(rows) < 2 or not rows[0] or len(set(rows[0])) != len(rows[0]):
        raise InvalidArgument("file", "a CSV file needs a header of distinct column names and at least one row")
    width = len(rows[0])
    if any(len(row) != width for row in rows[1:]):
        raise InvalidArgument("file", "CSV rows do not all have as many fields as the header")
    return pa.table({name: [row[i] for row in rows[1:]] for i, name in enumerate(rows[0])})


def row_keys(table: pa.Table, columns: tuple[str, ...]) -> list[str]:
    """Each row reduced to ``columns``, as one comparable text; a missing value reads as empty."""
    values = [column_values(table, c) for c in columns]
    return ["\x1f".join("" if v is None else v for v in row) for row in zip(*values)]


def shared_columns(leaked: pa.Table, items: list[str]) -> tuple[str, ...]:
    """The dataset's items the leaked file kept; the file must keep at least one and add none."""
    names = set(leaked.column_names)
    if not names <= set(items):
        raise InvalidArgument("file", "it has columns that are not items of the dataset")
    return tuple(c for c in items if c in names)


def _log_binomial_tail(matched: int, n: int, p: float) -> float:
    """log P(X >= matched) for X ~ Binomial(n, p), summed in log space."""
    terms = [math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(p)
             + (n - k) * math.log1p(-p) for k in range(matched, n + 1)]
    top = max(terms)
    return top + math.log(sum(math.exp(t - top) for t in terms))


def trace(leaked_keys: list[str], copies: dict[str, list[str]], unmarked: list[str]) -> tuple[Score, ...]:
    """Scores every recipient; ``copies`` and ``unmarked`` hold row keys over the same columns."""
    sets = {recipient: set(keys) for recipient, keys in copies.items()}
    n = len(leaked_keys)
    scored = []
    for recipient, own in sets.items():
        references = [keys for other, keys in copies.items() if other != recipient] + [unmarked]
        rates = [sum(k in own for k in keys) / len(keys) for keys in references if keys]
        p0 = min(max(sum(rates) / len(rates) if rates else _P0_BOUNDS[1], _P0_BOUNDS[0]), _P0_BOUNDS[1])
        matched = sum(k in own for k in leaked_keys)
        llr = matched * math.log((1 - EDITED) / p0) + (n - matched) * math.log(EDITED / (1 - p0))
        scored.append((recipient, matched, llr, math.exp(_log_binomial_tail(matched, n, p0)) if n else 1.0))
    top = max([0.0] + [s[2] for s in scored])
    evidence = math.exp(-top) + sum(math.exp(s[2] - top) for s in scored)
    scores = [Score(r, m, llr, math.exp(llr - top) / evidence, p) for r, m, llr, p in scored]
    return tuple(sorted(scores, key=lambda s: (-s.log_likelihood_ratio, s.recipient)))


def verdict(scores: tuple[Score, ...], rows: int, columns: tuple[str, ...]) -> Verdict:
    """Names the best recipient only when the evidence is overwhelming and beyond chance."""
    best = scores[0] if scores else None
    if best and best.confidence >= MIN_CONFIDENCE and best.p_value <= MAX_P_VALUE:
        return Verdict(best.recipient, best.confidence, best.p_value, rows, columns, scores)
    none = 1.0 - sum(s.confidence for s in scores)
    return Verdict("", none, best.p_value if best else 1.0, rows, columns, scores)
