"""Benchmark: a CP932 municipal file → canonical Parquet → measures 1–4 → verified.

    python bench/conversion.py --rows 1000000 10000000 [--engine dask|process]

`dask` (the default) runs the creation job's pipeline (`services/transform/pipeline.py`) on an
already running local cluster of two single-threaded worker processes, as the transform service
does; peak RSS is that of the job's process plus its workers, sampled every 100 ms. `process` runs
the same domain functions in this one process, as a reference. Each size runs in its own process
so that figures are per size. Files go to bench/data and bench/out. In `process`, decoding runs
one block ahead in a thread and batches are processed two at a time (the domain functions are
pure and pyarrow releases the GIL); memory holds a few batches and the merged summaries.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import psutil
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.municipal_files import ENTRY, write_municipal_file  # noqa: E402
from services.transform.domain.formats import canonical_schema, normalize_batch, read_csv  # noqa: E402
from services.transform.domain.operators import OperatorContext  # noqa: E402
from services.transform.domain.policy import (  # noqa: E402
    apply_policy, bind_summaries, derive_policy, merge_summaries, partial_summaries,
)
from services.transform.domain.report import build_report, render_html  # noqa: E402
from services.transform.domain.verification import Verifier, token_shaped_hashes  # noqa: E402

REQUESTED = {"宛名番号": "linked_token", "生年月日": "age_band_5", "性別": "as_is", "郵便番号": "postal_3",
             "住所": "municipality", "個人番号": "as_is", "給付額": "top_pct_99", "要介護度": "rare_10"}


def _files(rows: int) -> tuple[Path, Path]:
    data, out = ROOT / "bench" / "data", ROOT / "bench" / "out"
    data.mkdir(exist_ok=True)
    out.mkdir(exist_ok=True)
    source = data / f"municipal_{rows}.csv"
    if not source.exists():
        write_municipal_file(str(source), rows, "cp932", seed=1, plant=20)
    return source, out


def run_dask(rows: int) -> dict:
    """The creation job's pipeline on a running two-worker cluster: read, normalize, measures 1–4,
    verify, write one Parquet file, report."""
    from distributed import Client, LocalCluster

    from services.transform import pipeline

    source, out = _files(rows)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.wait_for_workers(2)
        pids = [os.getpid(), *client.run(os.getpid).values()]
        job = pipeline.Source("bench", ENTRY.municipality_code, "bench-file", str(source), {}, "cp932", rows, ENTRY,
                              REQUESTED)
        with RssSampler(pids) as rss:
            start, cpu = time.perf_counter(), _cpu_of(pids)
            result = pipeline.create_dataset(client, [job], out / f"deidentified_{rows}.parquet", dt.date(2025, 4, 1),
                                             window=4)
            report = build_report(result.sources[0].verification, ENTRY)
            (out / f"report_{rows}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
            total = time.perf_counter() - start
            cpu = _cpu_of(pids) - cpu
    return {"engine": "dask, 2 workers", "rows": rows, "file_mb": round(source.stat().st_size / 1e6),
            "total_s": round(total, 1), "rows_per_s": round(rows / total), "cpu_s": round(cpu, 1),
            "peak_rss_mb": rss.peak_total >> 20, "peak_rss_per_process_mb": [p >> 20 for p in rss.peak_each],
            "passed": report["passed"], "k": report["k"]}


def _cpu_of(pids: list[int]) -> float:
    return sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in pids)


class RssSampler:
    """Peak resident memory of a set of processes, summed and each, sampled in a thread."""

    def __init__(self, pids: list[int], interval_s: float = 0.1):
        self.processes = [psutil.Process(pid) for pid in pids]
        self.interval_s, self.peak_total, self.peak_each = interval_s, 0, [0] * len(pids)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            sizes = [p.memory_info().rss for p in self.processes]
            self.peak_total = max(self.peak_total, sum(sizes))
            self.peak_each = [max(a, b) for a, b in zip(self.peak_each, sizes)]

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run(rows: int) -> dict:
    source, out = _files(rows)
    policy = derive_policy(ENTRY, REQUESTED)
    context = OperatorContext(os.urandom(32), dt.date(2025, 4, 1))
    summaries, pending, hashes, problems = {}, [], [], 0

    def normalize(numbered):
        first_row, batch = numbered
        canonical = normalize_batch(batch, ENTRY, first_row)
        return canonical, partial_summaries(canonical.batch, policy, context), token_shaped_hashes(canonical.batch.column("宛名番号"))

    timings = {}
    start = time.perf_counter()
    canonical = out / f"canonical_{rows}.parquet"
    with pq.ParquetWriter(canonical, canonical_schema(ENTRY)) as writer:
        for normalized, partial, linking in _two_at_a_time(normalize, _numbered(_ahead(read_csv(str(source), "cp932")))):
            writer.write_batch(normalized.batch)
            pending.append(partial)
            if len(pending) == 16:
                summaries = merge_summaries([summaries, *pending])
                pending.clear()
            hashes.append(linking)
            problems += normalized.problem_count
    timings["read+normalize+summaries"] = time.perf_counter() - start
    bound = bind_summaries(policy, merge_summaries([summaries, *pending]))
    step = time.perf_counter()
    output = out / f"deidentified_{rows}.parquet"
    _write(_two_at_a_time(lambda b: apply_policy(b, bound, context), _batches(canonical)), output)
    timings["apply measures 1-4"] = time.perf_counter() - step
    step = time.perf_counter()
    input_hashes = {"宛名番号": _sorted(hashes)}
    verifier = Verifier(bound, ENTRY, input_hashes)
    for part in _two_at_a_time(lambda b: _verify(b, bound, input_hashes), _batches(output)):
        verifier.merge(part)
    report = build_report(verifier.finish(), ENTRY)
    (out / f"report_{rows}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    (out / f"report_{rows}.html").write_text(render_html(report))
    timings["verify+report"] = time.perf_counter() - step
    total = time.perf_counter() - start
    return {"engine": "one process", "rows": rows, "file_mb": round(source.stat().st_size / 1e6),
            "seconds": {k: round(v, 1) for k, v in timings.items()}, "total_s": round(total, 1),
            "rows_per_s": round(rows / total), "cpu_s": round(_cpu_seconds(), 1),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "problems": problems, "passed": report["passed"], "k": report["k"]}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _verify(batch, policy, input_hashes) -> Verifier:
    verifier = Verifier(policy, ENTRY, input_hashes)
    verifier.update(batch)
    return verifier


def _sorted(parts: list[np.ndarray]) -> np.ndarray:
    joined = np.concatenate(parts)
    parts.clear()
    joined.sort()
    return joined


def _numbered(batches):
    """Pair each batch with the record number of its first row."""
    first_row = 1
    for batch in batches:
        yield first_row, batch
        first_row += batch.num_rows


def _batches(path: Path):
    """Row group by row group: `iter_batches` with its default pre-buffering keeps what it read."""
    parquet = pq.ParquetFile(path)
    return (parquet.read_row_group(i) for i in range(parquet.metadata.num_row_groups))


def _write(tables, path: Path) -> None:
    writer = None
    for table in tables:
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def _ahead(iterable):
    """Produce the next item in a thread while the caller works on the current one."""
    with ThreadPoolExecutor(1) as pool:
        iterator = iter(iterable)
        pending = pool.submit(next, iterator, None)
        while (item := pending.result()) is not None:
            pending = pool.submit(next, iterator, None)
            yield item


def _two_at_a_time(function, iterable):
    """Map in two threads, in order, with at most two items in flight."""
    with ThreadPoolExecutor(2) as pool:
        window = deque()
        for item in iterable:
            window.append(pool.submit(function, item))
            if len(window) == 2:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--engine", choices=("dask", "process"), default="dask")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps((run_dask if args.engine == "dask" else run)(args.rows[0]), ensure_ascii=False))
        return
    for rows in args.rows:
        subprocess.run([sys.executable, __file__, "--one", "--engine", args.engine, "--rows", str(rows)], check=True)


if __name__ == "__main__":
    main()
