"""Hierarchies over the values measures 1–4 released, for measure 5 inside the creation job.

After the contracted degrees a quasi-identifier holds ages, age bands, prefectures,
municipalities or plain codes; which one follows from the policy's rules for the column. A
column's hierarchy is built from the distinct values the data holds (gathered as a summary), not
read from a file: ages → 5-, 10-, 20-year bands; a band of width w → 2w, 4w; a municipality → its
prefecture → its region; a prefecture → its region; anything else → suppressed. Top-coded labels
(`90+`), suppressed cells and missing values (``""``) keep their label up to the last level; any
other value the rule does not fit fails, naming the column only.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..localgov import PREFECTURES, is_valid_code, prefecture_codes, region_of
from ..policy import Rule
from .errors import HierarchyError
from .hierarchy import SUPPRESSED, Hierarchy

MISSING = ""
AGE_WIDTHS = (5, 10, 20)
_AGE = re.compile(r"^\d{1,3}$")
_BAND = re.compile(r"^(\d{1,3})-(\d{1,3})$")
_CODED = re.compile(r"^\d+(?:\.\d+)?[+-]$")
_PREFECTURE_NAMES = {name: code for code, name in PREFECTURES}


def released_hierarchy(column: str, values: Iterable[str], rules: Sequence[Rule] = ()) -> Hierarchy:
    """The hierarchy of `column` over exactly `values`, generalizing as the policy's `rules` for it imply."""
    distinct = sorted(set(values)) or [MISSING]
    generalization = generalization_for(rules)
    if not all(generalization.accepts(v) for v in distinct if not _kept_as_is(v)):
        raise HierarchyError.not_covering(column)
    rows = [[v] + ([v] * (generalization.depth - 1) + [SUPPRESSED] if _kept_as_is(v) else generalization.levels(v))
            for v in distinct]
    return Hierarchy.from_rows(column, rows)


def generalization_for(rules: Sequence[Rule]) -> _Rule:
    """What the column holds after the rules: the first shaping operator decides."""
    for rule in rules:
        if rule.operator == "birthdate_to_age":
            width = rule.params.band_width
            return _Ages() if width == 1 else _Bands(width)
        if rule.operator == "generalize_address":
            return _ADDRESSES[(rule.params.level, rule.params.output)]()
    return _Rule()


def _kept_as_is(value: str) -> bool:
    return value in (MISSING, SUPPRESSED) or bool(_CODED.match(value))


class _Rule:
    """The coarser labels of one value, from the next level to '*'; `depth` of them."""

    depth = 1

    def accepts(self, value: str) -> bool:
        return True

    def levels(self, value: str) -> list[str]:
        return [SUPPRESSED]


class _Ages(_Rule):
    depth = len(AGE_WIDTHS) + 1

    def accepts(self, value: str) -> bool:
        return bool(_AGE.match(value))

    def levels(self, value: str) -> list[str]:
        return [_band(int(value), w) for w in AGE_WIDTHS] + [SUPPRESSED]


class _Bands(_Rule):
    depth = 3

    def __init__(self, width: int):
        self.width = width

    def accepts(self, value: str) -> bool:
        match = _BAND.match(value)
        return bool(match) and int(match[1]) % self.width == 0 and int(match[2]) - int(match[1]) + 1 == self.width

    def levels(self, value: str) -> list[str]:
        low = int(_BAND.match(value)[1])
        return [_band(low, 2 * self.width), _band(low, 4 * self.width), SUPPRESSED]


def _band(value: int, width: int) -> str:
    low = value // width * width
    return f"{low}-{low + width - 1}"


class _PrefectureNames(_Rule):
    depth = 2

    def accepts(self, value: str) -> bool:
        return value in _PREFECTURE_NAMES

    def levels(self, value: str) -> list[str]:
        return [region_of(_PREFECTURE_NAMES[value]), SUPPRESSED]


class _PrefectureCodes(_Rule):
    depth = 2

    def accepts(self, value: str) -> bool:
        return len(value) == 2 and value in prefecture_codes().values()

    def levels(self, value: str) -> list[str]:
        return [region_of(value), SUPPRESSED]


class _MunicipalityNames(_Rule):
    """`東京都千代田区`: a prefecture's name followed by the municipality's."""

    depth = 3

    def accepts(self, value: str) -> bool:
        return any(value.startswith(name) and len(value) > len(name) for name in _PREFECTURE_NAMES)

    def levels(self, value: str) -> list[str]:
        prefecture = next(name for name in _PREFECTURE_NAMES if value.startswith(name))
        return [prefecture, region_of(_PREFECTURE_NAMES[prefecture]), SUPPRESSED]


class _MunicipalityCodes(_Rule):
    depth = 3

    def accepts(self, value: str) -> bool:
        return is_valid_code(value) and value[:2] in prefecture_codes().values()

    def levels(self, value: str) -> list[str]:
        return [value[:2], region_of(value[:2]), SUPPRESSED]


_ADDRESSES = {("prefecture", "name"): _PrefectureNames, ("prefecture", "code"): _PrefectureCodes,
              ("municipality", "name"): _MunicipalityNames, ("municipality", "code"): _MunicipalityCodes}
