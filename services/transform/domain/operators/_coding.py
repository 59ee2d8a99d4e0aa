"""Shared by top and bottom coding: a fixed threshold, or one taken at a percentile of the whole column."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import TransformError
from .base import OperatorContext, SummaryOperator


@dataclass(frozen=True)
class CodingParams:
    """Give `threshold`, or `percentile` (0–100) and let `bind` set the threshold from the global summary."""

    threshold: float | None = None
    percentile: float | None = None


class ThresholdCoding(SummaryOperator):
    params_type = CodingParams
    top: bool

    def validate(self, params: CodingParams) -> None:
        super().validate(params)
        if params.threshold is None and params.percentile is None:
            raise self.fail("threshold", "or percentile must be given")
        if params.percentile is not None and not 0 < params.percentile < 100:
            raise self.fail("percentile", "must be between 0 and 100")

    def bind(self, params: CodingParams, summary: pa.Table) -> CodingParams:
        if params.percentile is None:
            return params
        return replace(params, threshold=percentile(summary, params.percentile))

    def transform(self, column: pa.Array, params: CodingParams, context: OperatorContext) -> pa.Array:
        if params.threshold is None:
            raise self.fail("threshold", "is unset: bind the global summary first")
        if not pa.types.is_integer(column.type) and not pa.types.is_floating(column.type):
            raise self.fail("column", "must be numeric")
        beyond = (pc.greater_equal if self.top else pc.less_equal)(column, params.threshold)
        return pc.if_else(beyond, label(params.threshold, self.top), column.cast(pa.string()))


def label(threshold: float, top: bool) -> str:
    number = pa.scalar(threshold).cast(pa.string()).as_py()
    number = number.removesuffix(".0")
    return f"{number}+" if top else f"<={number}"


def percentile(summary: pa.Table, p: float) -> float:
    """Nearest-rank percentile of the counted values; an empty column has none."""
    ordered = summary.sort_by("value")
    values, counts = ordered.column("value").to_numpy(), ordered.column("count").to_numpy()
    if not len(values):
        raise TransformError("percentile of a column with no value")
    at = np.searchsorted(np.cumsum(counts), p / 100 * counts.sum())
    return values[min(at, len(values) - 1)].item()
