"""File register entries as review sees them (from intake's FileRegistered events), and the portal's
search over them. An entry describes a file — its name, purpose, items and size — never a person."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    name: str
    type: str  # TEXT, INTEGER, DECIMAL, DATE, CODE
    role: str  # IDENTIFIER, IDENTIFICATION_CODE, LINKING_CODE, QUASI_IDENTIFIER, SENSITIVE, OTHER


@dataclass(frozen=True)
class RegisteredFile:
    file_id: str
    municipality_code: str
    file_name: str
    purpose: str
    items: tuple[Item, ...]
    number_of_persons: int
    proposals_invited: bool

    def item(self, name: str) -> Item | None:
        return next((i for i in self.items if i.name == name), None)


def matches(entry: RegisteredFile, file_kind: str, item_name: str) -> bool:
    """Whether the portal lists `entry` for a search: only files inviting proposals; every word of
    `file_kind` in the file name or purpose; `item_name` within one of the item names."""
    if not entry.proposals_invited:
        return False
    text = f"{entry.file_name} {entry.purpose}".casefold()
    if not all(word in text for word in file_kind.casefold().split()):
        return False
    return not item_name.strip() or any(item_name.strip().casefold() in i.name.casefold() for i in entry.items)
