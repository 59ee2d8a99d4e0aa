"""A synthetic dataset shaped like a created one: anchors, carriers and a linking-code token column."""
from __future__ import annotations

import random

import pyarrow as pa


def synthetic(rows: int, seed: int = 7, token: bool = False) -> pa.Table:
    rng = random.Random(seed)
    columns = {
        "性別": [rng.choice("12") for _ in range(rows)],
        "年齢層": [str(rng.randint(2, 9) * 10) for _ in range(rows)],
        "地域": [rng.choice(["131016", "011002", "271004"]) for _ in range(rows)],
        "生年月日": [f"19{rng.randint(30, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                 for _ in range(rows)],
        "保険料": [str(rng.randint(0, 900) * 100) for _ in range(rows)],
        "給付額": [None if rng.random() < 0.05 else str(rng.randint(0, 5000) * 10) for _ in range(rows)],
        "受診日数": [str(rng.randint(0, 300)) for _ in range(rows)],
    }
    if token:
        people = [f"{rng.getrandbits(128):032x}" for _ in range(rows // 2)]
        columns["連結コード"] = [rng.choice(people) for _ in range(rows)]
    return pa.table(columns)
