"""Synthetic municipal personal-information files for tests and benchmarks (no real person in them).

Names are common surnames and given names drawn at random; addresses use real prefectures,
municipalities, local government codes and postal codes; My Numbers carry valid check digits.
`plant` remarks hide My Numbers or phone numbers for the scanner to find.

    python bench/municipal_files.py --rows 1000000 --encoding cp932 --out bench/data/m1.csv --seed 1 --plant 20
"""
from __future__ import annotations

import argparse
import io
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.transform.domain.formats.dates import ERAS  # noqa: E402
from services.transform.domain.schema import ItemRole, ItemType, RecordItem, RegisterEntry  # noqa: E402

_I, _T = ItemRole, ItemType
ENTRY = RegisterEntry("131016", "住民基本台帳・国民健康保険 被保険者ファイル", (
    RecordItem("宛名番号", _T.CODE, _I.LINKING_CODE),
    RecordItem("氏名", _T.TEXT, _I.IDENTIFIER),
    RecordItem("カナ", _T.TEXT, _I.IDENTIFIER),
    RecordItem("生年月日", _T.DATE, _I.QUASI_IDENTIFIER),
    RecordItem("性別", _T.CODE, _I.QUASI_IDENTIFIER),
    RecordItem("郵便番号", _T.CODE, _I.QUASI_IDENTIFIER),
    RecordItem("住所", _T.TEXT, _I.IDENTIFIER),
    RecordItem("個人番号", _T.CODE, _I.IDENTIFICATION_CODE),
    RecordItem("被保険者番号", _T.CODE, _I.IDENTIFICATION_CODE),
    RecordItem("給付額", _T.INTEGER, _I.SENSITIVE),
    RecordItem("要介護度", _T.CODE, _I.SENSITIVE),
    RecordItem("備考", _T.TEXT, _I.OTHER),
))
SURNAMES = (("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"), ("伊藤", "イトウ"),
            ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
            ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"))
GIVEN = {"男": (("太郎", "タロウ"), ("一郎", "イチロウ"), ("健", "ケン"), ("翔太", "ショウタ"), ("大輔", "ダイスケ")),
         "女": (("花子", "ハナコ"), ("陽子", "ヨウコ"), ("美咲", "ミサキ"), ("さくら", "サクラ"), ("恵", "メグミ"))}
ADDRESSES = (  # (local government code, prefecture, municipality, town, postal code), real
    ("131016", "東京都", "千代田区", "千代田", "1000001"), ("131041", "東京都", "新宿区", "西新宿", "1600023"),
    ("131130", "東京都", "渋谷区", "渋谷", "1500002"), ("131032", "東京都", "港区", "芝公園", "1050011"),
    ("011002", "北海道", "札幌市中央区", "北一条西", "0600001"), ("141003", "神奈川県", "横浜市中区", "日本大通", "2310021"),
    ("231002", "愛知県", "名古屋市中区", "三の丸", "4600001"), ("271004", "大阪府", "大阪市北区", "梅田", "5300001"),
    ("401307", "福岡県", "福岡市中央区", "天神", "8100001"), ("281000", "兵庫県", "神戸市中央区", "加納町", "6500001"),
    ("341002", "広島県", "広島市中区", "国泰寺町", "7300042"), ("172014", "石川県", "金沢市", "広坂", "9200962"),
    ("472018", "沖縄県", "那覇市", "泉崎", "9000021"),
)
CARE_LEVELS = ("なし", "要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4", "要介護5")
REMARKS = ("", "特記事項なし", "転入届出済", "窓口にて相談あり", "郵送希望")
_MY_NUMBER_WEIGHTS = np.array([6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2])


def municipal_table(rows: int, seed: int = 0, plant: int = 0, first_row: int = 0, total_rows: int | None = None) -> pa.Table:
    """String columns of `ENTRY`; rows `first_row`… of a file of `total_rows`, planted rows chosen file-wide."""
    rng = np.random.default_rng([seed, first_row])
    sex = rng.integers(0, 2, rows)
    surname, given = rng.integers(0, len(SURNAMES), rows), rng.integers(0, 5, rows)
    place = rng.choice(len(ADDRESSES), rows, p=_weights())
    columns = {
        "宛名番号": _digits(_ids(first_row, rows, seed), 10),
        "氏名": _names(surname, given, sex, 0),
        "カナ": _half_width_some(_names(surname, given, sex, 1), rng),
        "生年月日": _birth_dates(rng, rows),
        "性別": pa.array(["男", "女"]).take(pa.array(sex)),
        "郵便番号": _postal(place, rng),
        "住所": _addresses(place, rng),
        "個人番号": _my_numbers(rng, rows),
        "被保険者番号": _digits(rng.integers(0, 10**8, rows), 8),
        "給付額": _full_width_some(rng.integers(0, 500_000, rows).astype(str), rng),
        "要介護度": pa.array(CARE_LEVELS).take(pa.array(rng.choice(8, rows, p=[.8, .03, .03, .04, .04, .03, .02, .01]))),
        "備考": _remarks(rng, rows, _planted(plant, seed, total_rows or rows, first_row, rows)),
    }
    return pa.table(columns)


def write_municipal_file(path: str, rows: int, encoding: str = "cp932", seed: int = 0, plant: int = 0,
                         chunk_rows: int = 500_000) -> None:
    with open(path, "wb") as out:
        for start in range(0, rows, chunk_rows):
            table = municipal_table(min(chunk_rows, rows - start), seed, plant, start, rows)
            buffer = io.BytesIO()
            pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=start == 0, quoting_style="none"))
            text = buffer.getvalue().decode("utf-8")
            out.write(text.encode(encoding))


def planted_rows(rows: int, plant: int, seed: int = 0) -> np.ndarray:
    """0-based rows whose remarks hide an identification code."""
    return np.sort(np.random.default_rng([seed, 99]).choice(rows, min(plant, rows), replace=False))


def _weights() -> np.ndarray:
    w = np.ones(len(ADDRESSES))
    w[0] = 8
    return w / w.sum()


def _ids(first_row: int, rows: int, seed: int) -> np.ndarray:
    """Unique 10-digit ids: an affine permutation of the row numbers."""
    n = np.arange(first_row, first_row + rows, dtype=np.int64)
    return (n * 7_919_993 + 1_000_003 * (seed + 1)) % 9_999_999_967


def _digits(numbers: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width, "0")


def _names(surname: np.ndarray, given: np.ndarray, sex: np.ndarray, part: int) -> pa.Array:
    given_table = pa.array([g[part] for s in ("男", "女") for g in GIVEN[s]])
    family = pa.array([s[part] for s in SURNAMES]).take(pa.array(surname))
    return pc.binary_join_element_wise(family, given_table.take(pa.array(sex * 5 + given)), "\u3000")


def _half_width(text: str) -> str:
    half = {unicodedata.normalize("NFKC", c): c for c in map(chr, range(0xFF61, 0xFFA0))}
    half |= {unicodedata.normalize("NFKC", c + m): c + m for c in map(chr, range(0xFF61, 0xFFA0)) for m in "ﾞﾟ"}
    return "".join(half.get(c, c) for c in text)


def _half_width_some(kana: pa.Array, rng: np.random.Generator) -> pa.Array:
    values = pc.unique(kana)
    halves = pa.array([_half_width(v) for v in values.to_pylist()])
    converted = halves.take(pc.index_in(kana, value_set=values))
    return pc.if_else(pa.array(rng.random(len(kana)) < 0.1), converted, kana)


def _full_width_some(numbers: np.ndarray, rng: np.random.Generator, share: float = 0.3) -> pa.Array:
    text = pa.array(numbers)
    wide = text
    for d in "0123456789":
        wide = pc.replace_substring(wide, d, chr(ord("０") + int(d)))
    return pc.if_else(pa.array(rng.random(len(numbers)) < share), wide, text)


def _birth_dates(rng: np.random.Generator, rows: int) -> pa.Array:
    days = rng.integers(np.datetime64("1925-01-01").astype(int), np.datetime64("2024-12-31").astype(int), rows)
    dates = days.astype("datetime64[D]")
    starts = np.array([e[2] for e in ERAS], dtype="datetime64[D]")
    era = np.searchsorted(starts, dates, side="right") - 1
    year = dates.astype("datetime64[Y]").astype(int) + 1970
    month = dates.astype("datetime64[M]").astype(int) % 12 + 1
    day = (dates - dates.astype("datetime64[M]").astype("datetime64[D]")).astype(int) + 1
    era_year = year - starts[era].astype("datetime64[Y]").astype(int) - 1969
    y, m, d, ey = (pa.array(v).cast(pa.string()) for v in (year, month, day, era_year))
    ey_kanji = pc.if_else(pc.equal(ey, "1"), "元", ey)
    kanji = pc.binary_join_element_wise(pa.array([e[0] for e in ERAS]).take(pa.array(era)), ey_kanji, "年", m, "月", d, "日", "")
    letter = pc.binary_join_element_wise(pa.array([e[1] for e in ERAS]).take(pa.array(era)), ey, m, d, ".")
    letter = pc.replace_substring_regex(letter, r"^([MTSHR])\.", r"\1")
    iso = pc.strftime(pa.array(dates), "%Y-%m-%d")
    slash = pc.binary_join_element_wise(y, m, d, "/")
    choice = rng.integers(0, 4, rows)
    mixed = pc.case_when(pa.StructArray.from_arrays([pa.array(choice == i) for i in range(3)], names=list("abc")),
                         _full_width_some(kanji.to_numpy(zero_copy_only=False), rng, 1.0), letter, iso, slash)
    return mixed


def _postal(place: np.ndarray, rng: np.random.Generator) -> pa.Array:
    codes = pa.array([a[4] for a in ADDRESSES]).take(pa.array(place))
    hyphen = pc.binary_join_element_wise(pc.utf8_slice_codeunits(codes, 0, 3), pc.utf8_slice_codeunits(codes, 3, 7), "-")
    return pc.if_else(pa.array(rng.random(len(place)) < 0.5), hyphen, codes)


def _addresses(place: np.ndarray, rng: np.random.Generator) -> pa.Array:
    heads = pa.array([a[1] + a[2] + a[3] for a in ADDRESSES]).take(pa.array(place))
    block = [_full_width_some(rng.integers(1, n, len(place)).astype(str), rng, 0.7) for n in (10, 30, 20)]
    return pc.binary_join_element_wise(heads, block[0], "丁目", block[1], "番", block[2], "号", "")


def _my_numbers(rng: np.random.Generator, rows: int) -> pa.Array:
    digits = rng.integers(0, 10, (rows, 12))
    digits[:, 0] = rng.integers(1, 10, rows)
    remainder = (digits[:, :11] * _MY_NUMBER_WEIGHTS).sum(axis=1) % 11
    digits[:, 11] = np.where(remainder <= 1, 0, 11 - remainder)
    chars = (digits + ord("0")).astype(np.uint8).tobytes()
    offsets = np.arange(rows + 1, dtype=np.int32) * 12
    return pa.Array.from_buffers(pa.string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(chars)])


def _remarks(rng: np.random.Generator, rows: int, planted: np.ndarray) -> pa.Array:
    remarks = pa.array(REMARKS).take(pa.array(rng.choice(len(REMARKS), rows, p=[.5, .3, .1, .05, .05]))).to_pylist()
    secrets = _my_numbers(rng, len(planted)).to_pylist()
    for i, (row, number) in enumerate(zip(planted, secrets)):
        wide = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        remarks[row] = f"本人確認 個人番号{wide}" if i % 2 == 0 else f"連絡先 090-{number[:4]}-{number[4:8]}"
    return pa.array(remarks)


def _planted(plant: int, seed: int, total_rows: int, first_row: int, rows: int) -> np.ndarray:
    chosen = planted_rows(total_rows, plant, seed)
    return chosen[(chosen >= first_row) & (chosen < first_row + rows)] - first_row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--encoding", default="cp932", choices=("cp932", "utf-8", "utf-8-sig"))
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plant", type=int, default=0)
    args = parser.parse_args()
    write_municipal_file(args.out, args.rows, args.encoding, args.seed, args.plant)


if __name__ == "__main__":
    main()
