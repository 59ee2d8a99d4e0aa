"""anjana 1.2.3 k-anonymity on one CSV, timed from reading to the anonymized frame; prints JSON.

Runs under `.venv-anjana` (anjana pins pandas 2.3.3, so it cannot share the project venv).
Usage: anjana_peer.py INPUT HIERARCHY_DIR QI[,QI…] K SUPPRESSION_LEVEL(0..100)
"""
import json
import sys
import time
from pathlib import Path

import pandas as pd
from anjana.anonymity import k_anonymity


def load_hierarchies(directory: Path, columns: list[str]) -> dict:
    """anjana wants {column: {level: values aligned with the leaves}}."""
    found = {}
    for column in columns:
        [path] = directory.glob(f"*hierarchy_{column}.csv")
        table = pd.read_csv(path, sep=";", header=None, dtype=str)
        found[column] = {level: table[level] for level in table.columns}
    return found


def main(source: str, directory: str, columns: str, k: str, suppression: str) -> None:
    qis = columns.split(",")
    started = time.perf_counter()
    data = pd.read_csv(source, sep=";", dtype=str)
    released = k_anonymity(data, [], qis, int(k), float(suppression), load_hierarchies(Path(directory), qis))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rows": len(data), "released": len(released), "suppressed": len(data) - len(released)}))


if __name__ == "__main__":
    main(*sys.argv[1:6])
