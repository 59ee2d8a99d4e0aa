"""What a municipality's register entry (個人情報ファイル簿) says about a file's record items."""
from __future__ import annotations

import enum
from dataclasses import dataclass


class ItemType(enum.Enum):
    """Canonical type of a record item after normalization."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    CODE = "code"


class ItemRole(enum.Enum):
    """What an item is to the processing standard (Art. 11)."""

    IDENTIFIER = "identifier"
    IDENTIFICATION_CODE = "identification_code"
    LINKING_CODE = "linking_code"
    QUASI_IDENTIFIER = "quasi_identifier"
    SENSITIVE = "sensitive"
    OTHER = "other"


@dataclass(frozen=True)
class RecordItem:
    name: str
    type: ItemType
    role: ItemRole


@dataclass(frozen=True)
class RegisterEntry:
    municipality_code: str
    file_name: str
    items: tuple[RecordItem, ...]

    def item(self, name: str) -> RecordItem | None:
        return next((i for i in self.items if i.name == name), None)

    def names(self, role: ItemRole) -> tuple[str, ...]:
        return tuple(i.name for i in self.items if i.role is role)


@dataclass(frozen=True)
class RowProblem:
    """A problem in one cell or line; `reason` never contains a value from the data.

    `row` is the 1-based data record number (the header is not counted).
    """

    row: int
    column: str
    reason: str
