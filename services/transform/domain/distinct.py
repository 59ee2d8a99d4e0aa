"""Work once per distinct value when a column repeats itself (names, categories, generalized values)."""
from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

_SAMPLE = 4096


def few_distinct(values: pa.Array) -> bool:
    """True when a sample of the column has fewer than one distinct value in five."""
    sample = values.slice(0, _SAMPLE)
    return len(pc.unique(sample)) * 5 < len(sample)


def per_distinct(values: pa.Array, function: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """`function` applied element-wise, computed on the distinct values only when that pays."""
    if not few_distinct(values):
        return function(values)
    encoded = pc.dictionary_encode(values)
    return pc.take(function(encoded.dictionary), encoded.indices)
