"""Measure 4: keep the leading digits of a 7-digit postal code (郵便番号); others become null."""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from .base import Operator, OperatorContext


@dataclass(frozen=True)
class TruncatePostalCodeParams:
    digits: int = 3


class TruncatePostalCode(Operator):
    name = "truncate_postal_code"
    params_type = TruncatePostalCodeParams

    def validate(self, params: TruncatePostalCodeParams) -> None:
        super().validate(params)
        if not isinstance(params.digits, int) or not 1 <= params.digits <= 6:
            raise self.fail("digits", "must be an integer from 1 to 6")

    def transform(self, column: pa.Array, params: TruncatePostalCodeParams, context: OperatorContext) -> pa.Array:
        plain = pc.replace_substring_regex(column.cast(pa.string()), r"^〒|-", "")
        kept = pc.utf8_slice_codeunits(plain, 0, params.digits)
        valid = pc.match_substring_regex(plain, r"^\d{7}$")
        return pc.if_else(valid, kept, pa.scalar(None, pa.string()))
