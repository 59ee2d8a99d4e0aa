import pytest

from services.common.codes import is_municipality_code


@pytest.mark.parametrize("code, valid", [
    ("131016", True),   # 千代田区
    ("011002", True),   # 札幌市
    ("271004", True),   # 大阪市
    ("141003", True),   # 横浜市
    ("131017", False),  # wrong check digit
    ("13101", False),
    ("１３１０１６", False),  # full-width digits are not a code
    ("13101a", False),
])
def test_local_government_codes_carry_a_check_digit(code, valid):
    assert is_municipality_code(code) is valid
