"""Measure 4 (and 1 for addresses): keep only the prefecture or the municipality of an address.

Municipalities in the embedded table are matched by name first (so 四日市市 or 廿日市市 are not cut
at their first 市); others by the usual suffixes. A designated city keeps the city, not the ward.
With `output="code"` the value becomes the 2-digit prefecture code or the 6-digit local government
code; a municipality missing from the table then becomes null.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ..localgov import PREFECTURES, full_names
from .base import Operator, OperatorContext

LEVELS = ("prefecture", "municipality")
OUTPUTS = ("name", "code")
_PREFECTURE = "(?P<pref>" + "|".join(name for _, name in PREFECTURES) + ")"
_KNOWN = "|".join(sorted((re.escape(n) for n in full_names()), key=len, reverse=True))
_HEAD = 14
"""Characters enough for the longest prefecture + district + municipality name (和歌山県東牟婁郡那智勝浦町)."""
_KNOWN_MUNICIPALITY = rf"^(?P<muni>{_KNOWN})"
_ANY_MUNICIPALITY = rf"^(?P<muni>{_PREFECTURE}(?:.+?郡.+?[町村]|.+?市|.+?区|.+?[町村]))"


@dataclass(frozen=True)
class GeneralizeAddressParams:
    level: str = "prefecture"
    output: str = "name"


class GeneralizeAddress(Operator):
    name = "generalize_address"
    params_type = GeneralizeAddressParams

    def validate(self, params: GeneralizeAddressParams) -> None:
        super().validate(params)
        if params.level not in LEVELS:
            raise self.fail("level", f"must be one of {LEVELS}")
        if params.output not in OUTPUTS:
            raise self.fail("output", f"must be one of {OUTPUTS}")

    def transform(self, column: pa.Array, params: GeneralizeAddressParams, context: OperatorContext) -> pa.Array:
        """Addresses share few distinct heads, so the regex runs once per distinct head."""
        heads = pc.dictionary_encode(pc.utf8_slice_codeunits(column.cast(pa.string()), 0, _HEAD))
        found = _generalize(heads.dictionary, params)
        return pc.take(found, heads.indices)


def _generalize(text: pa.Array, params: GeneralizeAddressParams) -> pa.Array:
    if params.level == "prefecture":
        found = pc.struct_field(pc.extract_regex(text, "^" + _PREFECTURE), "pref")
        table = [(name, code) for code, name in PREFECTURES]
    else:
        known = pc.struct_field(pc.extract_regex(text, _KNOWN_MUNICIPALITY), "muni")
        unknown = known.is_null()
        by_suffix = pc.struct_field(pc.extract_regex(pc.filter(text, unknown), _ANY_MUNICIPALITY), "muni")
        found = pc.replace_with_mask(known, unknown, by_suffix)
        table = list(full_names().items())
    if params.output == "name":
        return found
    names, codes = zip(*table)
    return pc.take(pa.array(codes), pc.index_in(found, value_set=pa.array(names)))

