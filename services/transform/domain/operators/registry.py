"""The explicit list of operators, plus `register()` for operators added at run time."""
from __future__ import annotations

from ..errors import TransformError
from .base import Operator
from .birthdate_to_age import BirthdateToAge
from .bottom_code import BottomCode
from .delete import Delete
from .generalize_address import GeneralizeAddress
from .random_token import RandomToken
from .suppress_rare import SuppressRare
from .top_code import TopCode
from .truncate_postal_code import TruncatePostalCode

_OPERATORS: dict[str, Operator] = {}


def register(operator: Operator) -> None:
    if operator.name in _OPERATORS:
        raise TransformError(f"operator {operator.name} is already registered")
    _OPERATORS[operator.name] = operator


def get(name: str) -> Operator:
    try:
        return _OPERATORS[name]
    except KeyError:
        raise TransformError(f"unknown operator {name}") from None


def names() -> tuple[str, ...]:
    return tuple(_OPERATORS)


for _operator in (Delete(), RandomToken(), GeneralizeAddress(), BirthdateToAge(), TruncatePostalCode(),
                  TopCode(), BottomCode(), SuppressRare()):
    register(_operator)
