"""The operator contract: one small class per operator, parameters typed, validation inside."""
from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import TransformError

Column = pa.Array | pa.ChunkedArray | pd.Series


@dataclass(frozen=True)
class OperatorContext:
    """Per-job inputs: the secret key (discarded after the job), the reference date, and the partition
    number, which must differ between the partitions of a job (fresh tokens are drawn from it)."""

    secret_key: bytes = field(repr=False)
    reference_date: dt.date
    partition: int = 0


class Operator(ABC):
    """A pure function over one column, deterministic given its params and the context."""

    name: ClassVar[str]
    params_type: ClassVar[type]
    needs_global_summary: ClassVar[bool] = False

    def validate(self, params: Any) -> None:
        if not isinstance(params, self.params_type):
            raise TransformError(f"{self.name}: params must be {self.params_type.__name__}")

    def apply(self, column: Column, params: Any, context: OperatorContext) -> Column | None:
        """Return the new column, of the same kind as the input (Arrow or pandas), or None to delete it."""
        self.validate(params)
        result = self.transform(to_arrow(column), params, context)
        if result is None or not isinstance(column, pd.Series):
            return result
        return result.to_pandas().set_axis(column.index).rename(column.name)

    @abstractmethod
    def transform(self, column: pa.Array, params: Any, context: OperatorContext) -> pa.Array | None:
        """The operation on an Arrow array; `apply` has validated the params."""

    def fail(self, param: str, reason: str) -> TransformError:
        return TransformError(f"{self.name}: param {param} {reason}")


class SummaryOperator(Operator):
    """An operator whose params depend on the whole column: value counts per partition, merged, then bound."""

    needs_global_summary: ClassVar[bool] = True

    def partial_summary(self, column: Column) -> pa.Table:
        """Value counts of one partition: a table of `value`, `count`."""
        counts = pc.value_counts(to_arrow(column).drop_null())
        return pa.table({"value": counts.field("values"), "count": counts.field("counts")})

    @abstractmethod
    def bind(self, params: Any, summary: pa.Table) -> Any:
        """Return params completed from the merged summary (see `merge_counts`)."""


def merge_counts(parts: list[pa.Table]) -> pa.Table:
    """Add partial value counts of the same column."""
    merged = pa.concat_tables(parts).group_by("value").aggregate([("count", "sum")])
    return merged.rename_columns(["value", "count"])


def to_arrow(column: Column) -> pa.Array:
    if isinstance(column, pd.Series):
        return pa.Array.from_pandas(column)
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks()
    return column
