"""Measure 4: categories counted fewer than `min_count` times in the whole column become `*`."""
from __future__ import annotations

from dataclasses import dataclass, replace

import pyarrow as pa
import pyarrow.compute as pc

from .base import OperatorContext, SummaryOperator

SUPPRESSED = "*"


@dataclass(frozen=True)
class SuppressRareParams:
    """`frequent` is set by `bind` from the global category counts."""

    min_count: int = 10
    frequent: frozenset[str] | None = None


class SuppressRare(SummaryOperator):
    name = "suppress_rare"
    params_type = SuppressRareParams

    def validate(self, params: SuppressRareParams) -> None:
        super().validate(params)
        if not isinstance(params.min_count, int) or params.min_count < 2:
            raise self.fail("min_count", "must be an integer of at least 2")

    def bind(self, params: SuppressRareParams, summary: pa.Table) -> SuppressRareParams:
        kept = summary.filter(pc.greater_equal(summary.column("count"), params.min_count)).column("value")
        frequent = frozenset(kept.cast(pa.string()).to_pylist())
        return replace(params, frequent=frequent)

    def transform(self, column: pa.Array, params: SuppressRareParams, context: OperatorContext) -> pa.Array:
        if params.frequent is None:
            raise self.fail("frequent", "is unset: bind the global summary first")
        text = column.cast(pa.string())
        keep = pc.is_in(text, value_set=pa.array(sorted(params.frequent), type=pa.string()))
        return pc.if_else(pc.or_(keep, text.is_null()), text, SUPPRESSED)
