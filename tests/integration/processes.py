"""Starting the services and a Dask cluster as separate processes on loopback, as `make up` does."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVICES = ("intake", "review", "transform", "delivery")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def own_consumer_groups() -> dict[str, str]:
    """Settings giving a run consumer groups of its own that start at the topics' end, so that its
    services neither take events from other runs on the shared broker nor replay their leftovers."""
    return {"SAKUSEI_CONSUMER_GROUP_PREFIX": f"run-{uuid.uuid4().hex[:8]}-", "SAKUSEI_KAFKA_NEW_GROUPS_AT_END": "true"}


def wait_serving(address: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    channel = grpc.insecure_channel(address)
    try:
        while time.monotonic() < deadline:
            try:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                time.sleep(0.2)
        raise TimeoutError(f"no service answered health checks at {address}")
    finally:
        channel.close()


@dataclass
class DaskProcesses:
    """A scheduler and two single-threaded workers on loopback."""

    root: Path
    procs: list[subprocess.Popen] = field(default_factory=list)
    address: str = ""

    def start(self, workers: int = 2) -> "DaskProcesses":
        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        bin_dir = Path(sys.executable).parent
        log = open(self.root / "dask.log", "ab")
        self.procs.append(subprocess.Popen([bin_dir / "dask", "scheduler", "--host", "127.0.0.1", "--port",
                                            str(port), "--no-dashboard"], stdout=log, stderr=log,
                                           start_new_session=True))
        for _ in range(workers):
            self.procs.append(subprocess.Popen([bin_dir / "dask", "worker", self.address, "--nthreads", "1",
                                                "--host", "127.0.0.1", "--no-dashboard", "--local-directory",
                                                str(self.root / "dask-worker")], stdout=log, stderr=log,
                                               start_new_session=True))
        from distributed import Client

        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=60)
        return self

    def stop(self) -> None:
        for proc in reversed(self.procs):
            _end(proc)


def _end(proc: subprocess.Popen, grace_s: float = 15) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(grace_s)


@dataclass
class ServiceProcesses:
    """The four services, each its own process (`python -m services.<name>`), on real infrastructure."""

    root: Path
    env: dict[str, str]
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)

    def start(self, service: str) -> None:
        port = int(self.addresses.get(service, ":0").rpartition(":")[2]) or free_port()
        self.addresses[service] = f"127.0.0.1:{port}"
        env = {**os.environ, **self.env, "SAKUSEI_GRPC_PORT": str(port),
               "SAKUSEI_STATE_DIR": str(self.root / "state"), "OTEL_TRACES_EXPORTER": "console",
               "SAKUSEI_TRACE_FILE": str(self.root / f"traces-{service}.jsonl")}
        log = open(self.root / f"{service}.log", "ab")
        self.procs[service] = subprocess.Popen([sys.executable, "-m", f"services.{service}"], env=env, stdout=log,
                                               stderr=log, start_new_session=True)
        wait_serving(self.addresses[service])

    def start_all(self) -> "ServiceProcesses":
        for service in SERVICES:
            self.start(service)
        return self

    def kill(self, service: str) -> None:
        """Ends a service at once, as a crash would: no clean shutdown, nothing flushed."""
        proc = self.procs.pop(service)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)

    def stop(self) -> None:
        for proc in self.procs.values():
            _end(proc)
        self.procs.clear()

    def log_tail(self, service: str, lines: int = 40) -> str:
        path = self.root / f"{service}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""
