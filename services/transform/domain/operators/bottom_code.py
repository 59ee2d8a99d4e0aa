"""Measure 4: values at or below the threshold become a label such as `<=10`."""
from __future__ import annotations

from ._coding import ThresholdCoding


class BottomCode(ThresholdCoding):
    name = "bottom_code"
    top = False
