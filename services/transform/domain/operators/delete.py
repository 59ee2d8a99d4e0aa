"""Measures 1–3: delete the column."""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from .base import Operator, OperatorContext


@dataclass(frozen=True)
class DeleteParams:
    pass


class Delete(Operator):
    name = "delete"
    params_type = DeleteParams

    def transform(self, column: pa.Array, params: DeleteParams, context: OperatorContext) -> None:
        return None
