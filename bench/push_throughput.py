"""Benchmark: pushing a large extract over loopback into the real MinIO, with the intake
server's peak memory.

    .venv/bin/python bench/push_throughput.py --size-mb 1024

Starts intake as its own process on the Kafka and MinIO that deploy/local/up.sh runs (endpoints
from $SAKUSEI_LOCAL_DIR/infra.env, default .local), registers a file, announces a contract on
Kafka as review would, and pushes a generated UTF-8 extract — the form `sakusei municipality
prepare` writes — through a resumable upload: parts stored in MinIO while the server hashes and
validates them. The server's RSS is sampled every 50 ms. The stored object is deleted afterwards.
"""
from __future__ import annotations

import argparse
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.cli import sample  # noqa: E402
from services.cli.clients import PlatformClient, actor_token  # noqa: E402
from services.common.artifacts import EXTRACTS, object_key  # noqa: E402
from services.common.artifacts.minio_store import MinioStore  # noqa: E402
from services.common.bus import new_envelope  # noqa: E402
from services.common.bus.base import wait_until  # noqa: E402
from services.common.bus.kafka import KafkaBus  # noqa: E402
from services.common.config import Settings  # noqa: E402
from services.common.identity import TokenIssuer, generate_key_pair  # noqa: E402
from services.common.pb.sakusei.v1 import events_pb2, review_pb2  # noqa: E402

MUNICIPALITY = "131016"


def infra_env() -> dict[str, str]:
    path = Path(os.environ.get("SAKUSEI_LOCAL_DIR", ROOT / ".local")) / "infra.env"
    env = {}
    for line in path.read_text().splitlines():
        words = [w for w in shlex.split(line) if w != "export"]
        env.update(w.split("=", 1) for w in words if "=" in w)
    return env


def write_extract(path: Path, size: int) -> int:
    """A UTF-8 extract of about ``size`` bytes: a block of synthetic rows, repeated; returns its rows."""
    block_path = path.with_suffix(".block")
    sample.write_extract(block_path, 100_000, seed=11)
    header, _, body = block_path.read_bytes().partition(b"\n")
    block_path.unlink()
    block_rows = body.count(b"\n")
    repeats = max(1, size // len(body))
    with open(path, "wb") as out:
        out.write(header + b"\n")
        for _ in range(repeats):
            out.write(body)
    return repeats * block_rows


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PeakRss:
    """Samples a process's resident memory until stopped."""

    def __init__(self, pid: int, interval_s: float = 0.05):
        self.process, self.interval_s = psutil.Process(pid), interval_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join(5)


class CpuSeconds:
    """User plus system CPU time that processes use from now on."""

    def __init__(self, pids: dict[str, int]):
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.start = {name: self._seconds(p) for name, p in self.processes.items()}

    @staticmethod
    def _seconds(process: psutil.Process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    def used(self) -> dict[str, float]:
        return {name: self._seconds(p) - self.start[name] for name, p in self.processes.items()}


def minio_pids() -> dict[str, int]:
    """The MinIO server deploy/local runs, to show what the store itself costs."""
    found = [p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == "minio"]
    return {"minio server": found[0]} if found else {}


def start_intake(env: dict[str, str], root: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(root / "intake.log", "ab")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen([sys.executable, "-m", "services.intake"], cwd=ROOT, stdout=log, stderr=log,
                            env={**os.environ, **env, "SAKUSEI_GRPC_PORT": str(port),
                                 "SAKUSEI_STATE_DIR": str(root / "state")}, start_new_session=True)
    return proc, f"127.0.0.1:{port}"


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def announce_contract(bus: KafkaBus, file_id: str) -> str:
    contract = review_pb2.Contract(contract_id=str(uuid.uuid4()), business_id="bench", purpose="benchmark",
                                   targets=[review_pb2.ContractTarget(municipality_code=MUNICIPALITY, file_id=file_id,
                                                                      items=list(sample.REQUESTED))])
    bus.publish(new_envelope(events_pb2.ContractConcluded(contract=contract), key=contract.contract_id,
                             producer="review"))
    return contract.contract_id


def run(size_mb: int, data_dir: Path) -> None:
    env = infra_env()
    with tempfile.TemporaryDirectory(prefix="sakusei-bench-") as tmp:
        root = Path(tmp)
        private, public = generate_key_pair(root / "keys")
        env["SAKUSEI_TOKEN_PUBLIC_KEY"] = str(public)
        env["SAKUSEI_CONSUMER_GROUP_PREFIX"] = f"bench-{uuid.uuid4().hex[:8]}-"
        env["SAKUSEI_KAFKA_NEW_GROUPS_AT_END"] = "true"
        extract = data_dir / f"push_{size_mb}mb.csv"
        data_dir.mkdir(parents=True, exist_ok=True)
        rows = write_extract(extract, size_mb << 20)
        size = extract.stat().st_size
        proc, address = start_intake(env, root)
        client = PlatformClient({"intake": address}, actor_token(TokenIssuer.from_pem(private),
                                                                  f"municipality:{MUNICIPALITY}"))
        bus = KafkaBus(env["SAKUSEI_KAFKA_BOOTSTRAP"], client_id="bench-push")
        try:
            assert wait_until(lambda: _serving(client), 60), "intake did not start"
            entry = client.register_file(sample.register_request(uuid.uuid4().hex, "benchmark file", rows))
            contract_id = announce_contract(bus, entry.file_id)
            assert wait_until(lambda: any(r.contract_id == contract_id for r in client.data_requests()), 120), \
                (root / "intake.log").read_text()[-3000:]
            request = next(r for r in client.data_requests() if r.contract_id == contract_id)
            idle_rss = psutil.Process(proc.pid).memory_info().rss
            load_before = os.getloadavg()[0]
            marks = {}
            cpu = CpuSeconds({"intake server": proc.pid, "bench client": os.getpid(), **minio_pids()})
            with PeakRss(proc.pid) as rss:
                began = time.perf_counter()
                reply = client.push_resumable(request.request_id, extract, "utf-8", rows,
                                              on_state=lambda _: marks.setdefault("stream", time.perf_counter()))
                ended = time.perf_counter()
            used = cpu.used()
            stream_s, total_s = ended - marks["stream"], ended - began
            print(f"extract: {size / 1e6:.0f} MB ({size / (1 << 20):.0f} MiB), {rows} rows, UTF-8, "
                  f"{len(sample.ITEMS)} columns")
            print(f"push stream (parts to MinIO, sha256 and validation on the server): {stream_s:.1f} s, "
                  f"{size / stream_s / 1e6:.0f} MB/s")
            print(f"whole push incl. the client's own sha256 pass: {total_s:.1f} s, {size / total_s / 1e6:.0f} MB/s")
            print(f"intake server RSS: idle {idle_rss / 2**20:.0f} MiB, peak {rss.peak / 2**20:.0f} MiB "
                  f"(+{(rss.peak - idle_rss) / 2**20:.0f} MiB while pushing)")
            print(f"CPU seconds during the push ({psutil.cpu_count()} CPUs, load average before "
                  f"{load_before:.1f}): " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in used.items()))
            MinioStore(Settings.from_env("intake", env).s3).delete(
                EXTRACTS, object_key("extract", request.request_id, reply.extract_id, suffix=".csv"))
        finally:
            client.close()
            bus.close()
            stop(proc)


def _serving(client: PlatformClient) -> bool:
    try:
        client.data_requests()
        return True
    except Exception:  # noqa: BLE001 - not up yet
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "data")
    args = parser.parse_args()
    run(args.size_mb, args.data_dir)


if __name__ == "__main__":
    main()
