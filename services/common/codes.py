"""Codes the whole platform checks: local government codes (全国地方公共団体コード)."""
from __future__ import annotations

_WEIGHTS = (6, 5, 4, 3, 2)


def municipality_check_digit(first_five: str) -> int:
    """Check digit of a local government code: 11 minus the weighted sum mod 11, last digit kept."""
    total = sum(int(d) * w for d, w in zip(first_five, _WEIGHTS))
    return (11 - total % 11) % 10


def is_municipality_code(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit() and \
        municipality_check_digit(code[:5]) == int(code[5])
