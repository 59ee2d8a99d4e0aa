"""Measure 4: replace a birth date by the age at the reference date, or by an age band `30-34`."""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from .base import Operator, OperatorContext


@dataclass(frozen=True)
class BirthdateToAgeParams:
    band_width: int = 1


class BirthdateToAge(Operator):
    name = "birthdate_to_age"
    params_type = BirthdateToAgeParams

    def validate(self, params: BirthdateToAgeParams) -> None:
        super().validate(params)
        if not isinstance(params.band_width, int) or not 1 <= params.band_width <= 50:
            raise self.fail("band_width", "must be an integer from 1 to 50")

    def transform(self, column: pa.Array, params: BirthdateToAgeParams, context: OperatorContext) -> pa.Array:
        if not pa.types.is_date(column.type):
            raise self.fail("column", "must be a date column")
        ages = _ages(column, context)
        if params.band_width == 1:
            return ages
        low = pc.multiply(pc.divide(ages, params.band_width), params.band_width)
        high = pc.add(low, params.band_width - 1)
        return pc.binary_join_element_wise(low.cast(pa.string()), high.cast(pa.string()), "-")


def _ages(column: pa.Array, context: OperatorContext) -> pa.Array:
    """Completed years; a birth date after the reference date has no age (null)."""
    ref = context.reference_date
    years = pc.subtract(ref.year, pc.year(column))
    birthday_later = pc.greater(pc.add(pc.multiply(pc.month(column), 100), pc.day(column)), ref.month * 100 + ref.day)
    ages = pc.subtract(years, birthday_later.cast(pa.int64()))
    return pc.if_else(pc.less(ages, 0), pa.scalar(None, pa.int64()), ages)
