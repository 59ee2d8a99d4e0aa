"""Benchmark of the k-anonymity engine: k = 5 on Adult's quasi-identifiers, suppression limit 100 %.

Per input it prints the whole-process time (CSV read → verified Parquet written) on an already
running two-worker LocalCluster, the fastest plain CSV → Parquet copy of the same file (pyarrow,
polars, Dask) and the ratio, the peak RSS of the whole process tree (client and workers, sampled),
achieved k, suppressed rows and granularity. anjana runs on hard ×10 in its own venv for a time ratio.

Usage: python bench/anonymity.py [--inputs adult,x100] [--no-anjana] [--keep-output]
Inputs: adult, x10, x100, x1000, x3000 (hard scaled Adult, generated into bench/data/ on demand).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from distributed import Client, LocalCluster  # noqa: E402

from services.transform.anonymity_job import AnonymizationJob, run  # noqa: E402
from services.transform.domain.anonymity import KAnonymity, load_hierarchies  # noqa: E402

SHARED = REPO / ".." / "shared"
HIERARCHIES = SHARED / "data"
DATA, OUT = REPO / "bench" / "data", REPO / "bench" / "out"
QI = ["age", "sex", "race", "marital-status", "education", "native-country", "workclass", "occupation"]
SCALES = {"x10": 10, "x100": 100, "x1000": 1000, "x3000": 3000}
K = 5
ANJANA_VENV = REPO / ".venv-anjana"
ANJANA = "anjana==1.2.3"


def input_path(name: str) -> Path:
    """Adult itself, or a hard scaled copy generated with the shared script when missing."""
    if name == "adult":
        return SHARED / "data" / "adult.csv"
    path = DATA / f"adult_hard_{name}.csv"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        staged = path.with_suffix(".partial")
        script = SHARED / "bench" / "make_scaled_adult.py"
        subprocess.run([sys.executable, str(script), str(SCALES[name]), str(staged), "0.1"], check=True)
        staged.replace(path)
    return path


def process_tree() -> list[psutil.Process]:
    root = psutil.Process(os.getpid())
    return [root, *root.children(recursive=True)]


def tree_cpu_seconds() -> float:
    """User and system CPU time of this process and its descendants, which outlive each run."""
    total = 0.0
    for process in process_tree():
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


class TreeMeter:
    """Peak of the summed RSS of this process and all its descendants (the cluster's workers), and
    the CPU seconds they spend: CPU time hardly depends on what else the machine runs.

    The process tree is listed once on entry (the cluster is running by then): listing it scans
    every process of the machine, which at each 20 ms sample took the GIL from the search for
    about 8 % of the time."""

    def __init__(self, interval: float = 0.02):
        self.interval, self.peak, self.cpu = interval, 0, 0.0
        self._stop = threading.Event()
        self._processes: list[psutil.Process] = []

    def _sample(self) -> int:
        total = 0
        for process in self._processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self._sample())

    def __enter__(self) -> TreeMeter:
        self._processes = process_tree()
        self.peak, self._cpu_start = self._sample(), tree_cpu_seconds()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu = tree_cpu_seconds() - self._cpu_start


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def anonymize(client: Client, source: Path, target: Path) -> tuple[float, TreeMeter, dict]:
    remove(target)
    job = AnonymizationJob(source, target, tuple(QI), load_hierarchies(HIERARCHIES, QI), (KAnonymity(K),), 1.0)
    with TreeMeter() as meter:
        started = time.perf_counter()
        report = run(client, job)
        seconds = time.perf_counter() - started
    return seconds, meter, report


def copy_pyarrow(source: Path, target: Path, client: Client) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    reader = pcsv.open_csv(source, parse_options=pcsv.ParseOptions(delimiter=";"))
    with pq.ParquetWriter(target, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)


def copy_polars(source: Path, target: Path, client: Client) -> None:
    import polars as pl

    pl.scan_csv(source, separator=";").sink_parquet(target)


def copy_dask(source: Path, target: Path, client: Client) -> None:
    import dask.dataframe as dd

    dd.read_csv(source, sep=";", blocksize="64MB").to_parquet(target, write_index=False)


COPIES = {"pyarrow": copy_pyarrow, "polars": copy_polars, "dask": copy_dask}


def fastest_copy(client: Client, source: Path) -> tuple[str, float, float]:
    """Name, seconds and CPU seconds of the fastest plain copy."""
    timings = {}
    for name, copy in COPIES.items():
        target = OUT / f"copy-{name}.parquet"
        remove(target)
        with TreeMeter() as meter:
            started = time.perf_counter()
            copy(source, target, client)
            timings[name] = (time.perf_counter() - started, meter)
        remove(target)
    name = min(timings, key=lambda n: timings[n][0])
    return name, timings[name][0], timings[name][1].cpu


def independent_k(target: Path) -> tuple[int, int]:
    """Smallest class and suppressed rows, recounted from the written Parquet with polars."""
    import polars as pl

    frame = pl.scan_parquet(str(target / "*.parquet")).select([pl.col(q).cast(pl.String) for q in QI])
    suppressed = frame.filter(pl.col("age") == "*").select(pl.len()).collect().item()
    smallest = frame.filter(pl.col("age") != "*").group_by(QI).len().select(pl.col("len").min()).collect().item()
    return smallest, suppressed


def anjana_seconds(source: Path) -> dict:
    """anjana in its own venv (it pins pandas 2.3.3), created on first use."""
    python = ANJANA_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(ANJANA_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", ANJANA], check=True)
    peer = REPO / "bench" / "anjana_peer.py"
    args = [str(python), str(peer), str(source), str(HIERARCHIES), ",".join(QI), str(K), "100"]
    return json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def read_through(source: Path) -> None:
    """Reads the input once, so that the engine and the copies all find it in the page cache."""
    with open(source, "rb") as handle:
        while handle.read(64 << 20):
            pass


def measure(client: Client, name: str, keep: bool) -> dict:
    source = input_path(name)
    target = OUT / f"{name}.k{K}.parquet"
    read_through(source)
    load = os.getloadavg()[0]
    seconds, meter, report = anonymize(client, source, target)
    smallest, suppressed = independent_k(target)
    if smallest < K or suppressed != report["suppressed"]:
        raise SystemExit(f"{name}: the written release fails the independent check")
    copier, copy_seconds, copy_cpu = fastest_copy(client, source)
    if not keep:
        remove(target)
    return {
        "input": name, "rows": report["rows"], "seconds": seconds, "stages": report["seconds"], "load": load,
        "copy": copier, "copy_seconds": copy_seconds, "cpu": meter.cpu, "copy_cpu": copy_cpu,
        "peak_rss_gb": meter.peak / 1e9, "k": smallest, "suppressed": report["suppressed"], "granularity": report["granularity"],
    }


def print_table(rows: list[dict]) -> None:
    print(
        "| input | rows | seconds (count / search / write) | fastest plain copy (s) | ratio "
        "| CPU s: ours / copy | peak RSS (GB) | k | suppressed | granularity | load before |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        stages = " / ".join(f"{r['stages'][s]:.2f}" for s in ("count", "search", "write"))
        print(
            f"| {r['input']} | {r['rows']:,} | {r['seconds']:.2f} ({stages}) | {r['copy']} {r['copy_seconds']:.2f} | "
            f"{r['seconds'] / r['copy_seconds']:.2f} | {r['cpu']:.1f} / {r['copy_cpu']:.1f} | {r['peak_rss_gb']:.2f} | "
            f"{r['k']} | {r['suppressed']:,} | {r['granularity']:.4f} | {r['load']:.1f} |"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", default="adult,x100", help="comma-separated: adult, x10, x100, x1000, x3000")
    parser.add_argument("--no-anjana", action="store_true", help="skip the anjana comparison on hard ×10")
    parser.add_argument("--keep-output", action="store_true", help="keep the released Parquet in bench/out/")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster, Client(cluster) as client:
        anonymize(client, input_path("adult"), OUT / "warm-up.parquet")
        remove(OUT / "warm-up.parquet")
        rows = [measure(client, name, args.keep_output) for name in args.inputs.split(",")]
        print_table(rows)
        if not args.no_anjana:
            source = input_path("x10")
            ours, _, _ = anonymize(client, source, OUT / "x10.k5.parquet")
            remove(OUT / "x10.k5.parquet")
            peer = anjana_seconds(source)
            print(f"\nanjana 1.2.3 on hard x10 ({peer['rows']:,} rows, k={K}, suppression level 100): "
                  f"{peer['seconds']:.2f} s, suppressed {peer['suppressed']:,}; ours {ours:.2f} s; "
                  f"anjana/ours = {peer['seconds'] / ours:.1f}")


if __name__ == "__main__":
    main()
