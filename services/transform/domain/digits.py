"""Vectorised access to the digits of fixed-width ASCII digit strings in an Arrow array."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def digit_matrix(values: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Return an (n, width) int matrix of digits and a mask of the rows that are exactly `width` digits."""
    ok = pc.match_substring_regex(values, rf"^\d{{{width}}}$").fill_null(False)
    fixed = pc.if_else(ok, values, "0" * width).cast(pa.string())
    offsets = np.frombuffer(fixed.buffers()[1], dtype=np.int32)[fixed.offset:fixed.offset + len(fixed) + 1]
    data = np.frombuffer(fixed.buffers()[2], dtype=np.uint8)
    matrix = data[offsets[:-1, None] + np.arange(width)].astype(np.int64) - ord("0")
    return matrix, ok.to_numpy(zero_copy_only=False)
