"""The one error the transform domain raises; the service edge maps it to a protocol status."""
from __future__ import annotations

from collections.abc import Sequence

from services.common.errors import DomainError

from .schema import RowProblem

_SHOWN = 5


class TransformError(DomainError):
    """A message naming row, column, operator or param, or a list of row problems; never a value."""

    code_name = "INVALID_ARGUMENT"

    def __init__(self, message: str, problems: Sequence[RowProblem] = ()):
        self.problems = tuple(problems)
        shown = "; ".join(f"row {p.row} {p.column}: {p.reason}" for p in self.problems[:_SHOWN])
        more = len(self.problems) - _SHOWN
        suffix = f" (+{more} more)" if more > 0 else ""
        super().__init__(f"{message}: {shown}{suffix}" if shown else message)
