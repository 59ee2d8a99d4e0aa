"""Measure 4: values at or above the threshold become a label such as `90+`."""
from __future__ import annotations

from ._coding import ThresholdCoding


class TopCode(ThresholdCoding):
    name = "top_code"
    top = True
