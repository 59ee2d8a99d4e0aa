"""Synthetic sample extracts for the demo and the tests: no real person in them.

Birth dates come in the formats municipal systems export (ISO, 和暦 with kanji or letters,
full-width digits); remarks can carry planted My Numbers and phone numbers that the scanner
must find.
"""
from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from services.common.pb.sakusei.v1 import common_pb2, intake_pb2

_T, _R = common_pb2.ItemType, common_pb2.ItemRole
ITEMS = (
    ("宛名番号", _T.ITEM_TYPE_CODE, _R.ITEM_ROLE_LINKING_CODE),
    ("氏名", _T.ITEM_TYPE_TEXT, _R.ITEM_ROLE_IDENTIFIER),
    ("住所", _T.ITEM_TYPE_TEXT, _R.ITEM_ROLE_IDENTIFIER),
    ("個人番号", _T.ITEM_TYPE_CODE, _R.ITEM_ROLE_IDENTIFICATION_CODE),
    ("生年月日", _T.ITEM_TYPE_DATE, _R.ITEM_ROLE_QUASI_IDENTIFIER),
    ("性別", _T.ITEM_TYPE_CODE, _R.ITEM_ROLE_QUASI_IDENTIFIER),
    ("保険料", _T.ITEM_TYPE_INTEGER, _R.ITEM_ROLE_OTHER),
    ("備考", _T.ITEM_TYPE_TEXT, _R.ITEM_ROLE_OTHER),
)
# What a business asks for, in register order, with the degree of processing of each item.
REQUESTED = {"宛名番号": "linked_token", "住所": "prefecture", "生年月日": "age_band_10", "性別": "as_is",
             "保険料": "top_code_80000"}
IDENTIFYING = ["氏名", "個人番号", "備考"]
PLACES = {"131016": "東京都千代田区", "011002": "北海道札幌市中央区", "271004": "大阪府大阪市北区"}
_FAMILY = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
_GIVEN = ["太郎", "花子", "一郎", "陽子", "健", "美咲", "翔", "結衣", "大輔", "愛"]
_ERAS = ((date(2019, 5, 1), "令和", "R"), (date(1989, 1, 8), "平成", "H"), (date(1926, 12, 25), "昭和", "S"))
_WIDE = str.maketrans("0123456789.", "０１２３４５６７８９．")


def my_number(rng: random.Random) -> str:
    """A random 12-digit number with a valid My Number check digit."""
    body = [rng.randint(0, 9) for _ in range(11)]
    total = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(reversed(body), start=1))
    remainder = total % 11
    return "".join(map(str, body)) + str(0 if remainder <= 1 else 11 - remainder)


def birth_date_text(born: date, rng: random.Random) -> str:
    start, kanji, letter = next(era for era in _ERAS if born >= era[0])
    year = born.year - start.year + 1
    style = rng.randrange(4)
    if style == 0:
        return born.isoformat()
    if style == 1:
        return f"{kanji}{'元' if year == 1 else year}年{born.month}月{born.day}日"
    if style == 2:
        return f"{letter}{year}.{born.month}.{born.day}"
    return f"{kanji}{year}年{born.month}月{born.day}日".translate(_WIDE)


def register_request(client_request_id: str, file_name: str, persons: int) -> intake_pb2.RegisterFileRequest:
    return intake_pb2.RegisterFileRequest(
        client_request_id=client_request_id, file_name=file_name, purpose="国民健康保険の資格及び給付の管理",
        items=[common_pb2.RecordItem(name=n, type=t, role=r) for n, t, r in ITEMS], number_of_persons=persons,
        proposals_invited=True)


def write_extract(path: Path, rows: int, seed: int, encoding: str = "utf-8", municipality: str = "131016",
                  plant: int = 0) -> None:
    """Writes ``rows`` synthetic records; ``plant`` of them hide a My Number or a phone number in 備考."""
    rng = random.Random(seed)
    planted = set(rng.sample(range(rows), min(plant, rows)))
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([name for name, _, _ in ITEMS])
        for row in range(rows):
            born = date(1930, 1, 1) + timedelta(days=rng.randint(0, 33000))
            remark = ""
            if row in planted:
                remark = f"連絡先 090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}" if row % 2 else \
                    f"旧番号{my_number(rng)}"
            writer.writerow([f"{seed:02d}{row:08d}", rng.choice(_FAMILY) + " " + rng.choice(_GIVEN),
                             f"{PLACES.get(municipality, '東京都千代田区')}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番",
                             my_number(rng), birth_date_text(born, rng), rng.choice(["1", "2"]),
                             str(rng.randint(0, 900) * 100), remark])
