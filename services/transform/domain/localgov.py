"""Real local government codes (全国地方公共団体コード): all 47 prefectures and a sample of municipalities.

A code is 5 digits plus a check digit: with weights 6,5,4,3,2 over the five digits,
r = sum % 11 and the check digit is (11 - r) % 10.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from .digits import digit_matrix

PREFECTURES = (
    ("01", "北海道"), ("02", "青森県"), ("03", "岩手県"), ("04", "宮城県"), ("05", "秋田県"), ("06", "山形県"),
    ("07", "福島県"), ("08", "茨城県"), ("09", "栃木県"), ("10", "群馬県"), ("11", "埼玉県"), ("12", "千葉県"),
    ("13", "東京都"), ("14", "神奈川県"), ("15", "新潟県"), ("16", "富山県"), ("17", "石川県"), ("18", "福井県"),
    ("19", "山梨県"), ("20", "長野県"), ("21", "岐阜県"), ("22", "静岡県"), ("23", "愛知県"), ("24", "三重県"),
    ("25", "滋賀県"), ("26", "京都府"), ("27", "大阪府"), ("28", "兵庫県"), ("29", "奈良県"), ("30", "和歌山県"),
    ("31", "鳥取県"), ("32", "島根県"), ("33", "岡山県"), ("34", "広島県"), ("35", "山口県"), ("36", "徳島県"),
    ("37", "香川県"), ("38", "愛媛県"), ("39", "高知県"), ("40", "福岡県"), ("41", "佐賀県"), ("42", "長崎県"),
    ("43", "熊本県"), ("44", "大分県"), ("45", "宮崎県"), ("46", "鹿児島県"), ("47", "沖縄県"),
)
MUNICIPALITIES = (  # (6-digit code, municipality); the first two digits are the prefecture's code
    ("011002", "札幌市"), ("012025", "函館市"), ("041009", "仙台市"), ("111007", "さいたま市"),
    ("121002", "千葉市"), ("131016", "千代田区"), ("131024", "中央区"), ("131032", "港区"),
    ("131041", "新宿区"), ("131130", "渋谷区"), ("132012", "八王子市"), ("141003", "横浜市"),
    ("141305", "川崎市"), ("151009", "新潟市"), ("172014", "金沢市"), ("221007", "静岡市"),
    ("231002", "名古屋市"), ("242021", "四日市市"), ("261009", "京都市"), ("271004", "大阪市"),
    ("271403", "堺市"), ("281000", "神戸市"), ("331007", "岡山市"), ("341002", "広島市"),
    ("342114", "廿日市市"), ("401005", "北九州市"), ("401307", "福岡市"), ("431001", "熊本市"),
    ("472018", "那覇市"),
)
_PREFECTURE_NAMES = dict(PREFECTURES)
_REGIONS = ((1, "北海道"), (7, "東北"), (14, "関東"), (23, "中部"), (30, "近畿"), (35, "中国"), (39, "四国"),
            (47, "九州・沖縄"))  # (last prefecture code of the region, region)
REGIONS = tuple(region for _, region in _REGIONS)
_WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(code5: str) -> str:
    total = sum(int(d) * w for d, w in zip(code5, _WEIGHTS, strict=True))
    return str((11 - total % 11) % 10)


def is_valid_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit() and check_digit(code[:5]) == code[5]


def prefecture_name(code: str) -> str:
    return _PREFECTURE_NAMES[code[:2]]


def region_of(prefecture_code: str) -> str:
    """The region (地方区分, eight of them) a 2-digit prefecture code belongs to."""
    number = int(prefecture_code)
    return next(region for last, region in _REGIONS if number <= last)


def prefecture_codes() -> dict[str, str]:
    """Prefecture name → 2-digit code."""
    return {name: code for code, name in PREFECTURES}


def full_names() -> dict[str, str]:
    """Prefecture + municipality (e.g. 東京都千代田区) → 6-digit code."""
    return {prefecture_name(code) + name: code for code, name in MUNICIPALITIES}


def validate_codes(values: pa.Array) -> pa.Array:
    """Vectorised CODE validator for local government codes (usable in `normalize_batch` validators)."""
    digits, ok = digit_matrix(values, 6)
    remainder = (digits[:, :5] * np.array(_WEIGHTS)).sum(axis=1) % 11
    return pa.array(ok & ((11 - remainder) % 10 == digits[:, 5]))
