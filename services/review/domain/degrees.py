"""Degrees of processing a proposal may ask for, per record item (Form 1 item 3).

The names are those of the processing policy transform applies (services/transform/domain/policy.py),
so an approved degree is one transform can carry out. Several degrees chain with `+`
(`age+top_code_90`), each applying to the type the previous one left. What is offered depends on
the item's role under Art. 11: identification codes are never offered; identifiers only at a degree
coarser than `as_is`; linking codes only as tokens.
"""
from __future__ import annotations

import re

AS_IS = "as_is"
_TOKENS = ("token", "linked_token")
_FIXED = {  # degree: (item types it applies to, the type it leaves)
    "prefecture": (("TEXT",), "TEXT"),
    "municipality": (("TEXT",), "TEXT"),
    "age": (("DATE",), "INTEGER"),
}
_NUMERIC = ("INTEGER", "DECIMAL")
_PARAMETRIC = {  # prefix: (item types, the type it leaves, allowed range of N)
    "age_band": (("DATE",), "TEXT", (1, 100)),
    "postal": (("CODE", "TEXT"), "CODE", (1, 7)),
    "top_code": (_NUMERIC, "TEXT", (0, 10**12)),
    "bottom_code": (_NUMERIC, "TEXT", (0, 10**12)),
    "top_pct": (_NUMERIC, "TEXT", (1, 99)),
    "bottom_pct": (_NUMERIC, "TEXT", (1, 99)),
    "rare": (None, "TEXT", (2, 10**6)),
}
_PARAMETRIC_DEGREE = re.compile(r"^(?P<name>[a-z_]+?)_(?P<n>\d+)$")


def offered(degree: str, item_type: str, role: str) -> bool:
    """Whether the policy offers `degree` for an item of this type and role."""
    if role == "IDENTIFICATION_CODE" or not degree:
        return False
    if role == "LINKING_CODE":
        return degree in _TOKENS
    parts = degree.split("+")
    if role == "IDENTIFIER" and all(p == AS_IS for p in parts):
        return False
    current = item_type
    for part in parts:
        current = _leaves(part, current)
        if current is None:
            return False
    return True


def _leaves(part: str, item_type: str) -> str | None:
    """The type one degree leaves, or None when it does not apply to `item_type`."""
    if part == AS_IS:
        return item_type
    if part in _TOKENS:
        return "TEXT"
    if part in _FIXED:
        types, leaves = _FIXED[part]
        return leaves if item_type in types else None
    match = _PARAMETRIC_DEGREE.match(part)
    if not match or match["name"] not in _PARAMETRIC:
        return None
    types, leaves, (low, high) = _PARAMETRIC[match["name"]]
    if types is not None and item_type not in types:
        return None
    return leaves if low <= int(match["n"]) <= high else None


def catalogue(item_type: str, role: str) -> tuple[str, ...]:
    """The degrees the portal shows for an item (parametric ones with `<N>`); empty: never provided."""
    if role == "IDENTIFICATION_CODE":
        return ()
    if role == "LINKING_CODE":
        return _TOKENS
    names = [] if role == "IDENTIFIER" else [AS_IS]
    names += [d for d, (types, _) in _FIXED.items() if item_type in types]
    names += [f"{p}_<N>" for p, (types, _, _) in _PARAMETRIC.items() if types is None or item_type in types]
    return (*names, "token")
