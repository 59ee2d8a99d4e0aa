"""Local government codes: the check digit and the embedded table."""
from __future__ import annotations

import pytest

from services.transform.domain.localgov import MUNICIPALITIES, PREFECTURES, check_digit, is_valid_code


@pytest.mark.parametrize("code, name", [("131016", "千代田区"), ("011002", "札幌市"), ("271004", "大阪市"), ("141003", "横浜市")])
def test_known_codes(code, name):
    assert check_digit(code[:5]) == code[5] and dict(MUNICIPALITIES)[code] == name


@pytest.mark.parametrize("code", ["131017", "13101", "1310166", "13101a"])
def test_invalid_codes(code):
    assert not is_valid_code(code)


def test_tables():
    assert [c for c, _ in PREFECTURES] == [f"{n:02d}" for n in range(1, 48)]
    assert all(is_valid_code(code) and code[:2] in dict(PREFECTURES) for code, _ in MUNICIPALITIES)
