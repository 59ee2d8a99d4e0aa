"""Records with their quasi-identifiers as leaf codes: the compact form both passes work on."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from .hierarchy import Hierarchy


def encode_partition(records: pa.Table, hierarchies: list[Hierarchy]) -> pa.Table:
    """Replaces every quasi-identifier by its leaf codes in the smallest integer type.

    Other columns stay as they are. Encoded once, a partition can be kept or spilled between
    the passes instead of being parsed again.
    """
    for hierarchy in hierarchies:
        codes = hierarchy.encode(records[hierarchy.column]).astype(np.min_scalar_type(hierarchy.domain_size - 1))
        records = records.set_column(records.schema.get_field_index(hierarchy.column), hierarchy.column, pa.array(codes))
    return records


def leaf_codes(encoded: pa.Table, column: str) -> np.ndarray:
    """The leaf codes of one encoded quasi-identifier."""
    return encoded[column].to_numpy()
