"""Synthetic sample extracts for the demo and the end-to-end tests: no real person in them."""
from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from services.common.pb.sakusei.v1 import common_pb2, intake_pb2

_T, _R = common_pb2.ItemType, common_pb2.ItemRole
ITEMS = (
    ("氏名", _T.ITEM_TYPE_TEXT, _R.ITEM_ROLE_IDENTIFIER),
    ("住所", _T.ITEM_TYPE_TEXT, _R.ITEM_ROLE_IDENTIFIER),
    ("個人番号", _T.ITEM_TYPE_CODE, _R.ITEM_ROLE_IDENTIFICATION_CODE),
    ("生年月日", _T.ITEM_TYPE_DATE, _R.ITEM_ROLE_QUASI_IDENTIFIER),
    ("性別", _T.ITEM_TYPE_CODE, _R.ITEM_ROLE_QUASI_IDENTIFIER),
    ("保険料", _T.ITEM_TYPE_INTEGER, _R.ITEM_ROLE_OTHER),
)
REQUESTED = ["生年月日", "性別", "保険料"]
IDENTIFYING = ["氏名", "住所", "個人番号"]
_FAMILY = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
_GIVEN = ["太郎", "花子", "一郎", "陽子", "健", "美咲", "翔", "結衣", "大輔", "愛"]


def my_number(rng: random.Random) -> str:
    """A random 12-digit number with a valid My Number check digit."""
    body = [rng.randint(0, 9) for _ in range(11)]
    total = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(reversed(body), start=1))
    remainder = total % 11
    return "".join(map(str, body)) + str(0 if remainder <= 1 else 11 - remainder)


def register_request(client_request_id: str, file_name: str, persons: int) -> intake_pb2.RegisterFileRequest:
    return intake_pb2.RegisterFileRequest(
        client_request_id=client_request_id, file_name=file_name, purpose="国民健康保険の資格及び給付の管理",
        items=[common_pb2.RecordItem(name=n, type=t, role=r) for n, t, r in ITEMS], number_of_persons=persons,
        proposals_invited=True)


def write_extract(path: Path, rows: int, seed: int, encoding: str = "utf-8") -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([name for name, _, _ in ITEMS])
        for _ in range(rows):
            born = date(1930, 1, 1) + timedelta(days=rng.randint(0, 33000))
            writer.writerow([rng.choice(_FAMILY) + " " + rng.choice(_GIVEN),
                             f"{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号",
                             my_number(rng), born.isoformat(), rng.choice(["1", "2"]),
                             str(rng.randint(0, 900) * 100)])
