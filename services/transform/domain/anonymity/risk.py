"""Re-identification risk of the released classes under the prosecutor model."""
from __future__ import annotations

import numpy as np


def prosecutor_risk(sizes: np.ndarray) -> dict:
    """Highest risk is 1/smallest class; the average over records is classes/records."""
    if not len(sizes):
        return {"highest": 0.0, "average": 0.0}
    return {"highest": 1.0 / float(sizes.min()), "average": len(sizes) / float(sizes.sum())}


def class_size_distribution(sizes: np.ndarray) -> dict[str, int]:
    """Number of classes per size bucket [2^i, 2^(i+1)), so the report stays small for any data."""
    if not len(sizes):
        return {}
    exponents = np.floor(np.log2(sizes)).astype(np.int64)
    buckets, classes = np.unique(exponents, return_counts=True)
    return {f"{1 << int(e)}-{(1 << int(e) + 1) - 1}": int(c) for e, c in zip(buckets, classes)}
