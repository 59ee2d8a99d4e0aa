"""Fixtures shared by the whole suite.

Tests that need the real Kafka and MinIO take the ``infra`` fixture. It reads the endpoints that
``deploy/local/up.sh`` wrote; when they are missing it skips, unless SAKUSEI_REQUIRE_INFRA=1
(as ``make test`` sets), where a missing broker is a failure, not a silent skip.
"""
from __future__ import annotations

import os
import shlex
import socket
from pathlib import Path

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from services.common import telemetry
from services.common.config import S3Settings
from services.common.identity import TokenIssuer, TokenVerifier, generate_key_pair

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

telemetry.setup_tracing("sakusei-tests")
METRICS = InMemoryMetricReader()
telemetry.setup_metrics("sakusei-tests", reader=METRICS)


def _infra_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.startswith("SAKUSEI_")}
    path = Path(os.environ.get("SAKUSEI_LOCAL_DIR", REPO / ".local")) / "infra.env"
    if "SAKUSEI_KAFKA_BOOTSTRAP" not in env and path.is_file():
        for line in path.read_text().splitlines():
            words = shlex.split(line)
            if words and words[0] == "export":
                words = words[1:]
            for word in words:
                name, _, value = word.partition("=")
                env.setdefault(name, value)
    return env


def _reachable(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


class Infra:
    def __init__(self, env: dict[str, str]):
        self.env = env
        self.kafka_bootstrap = env["SAKUSEI_KAFKA_BOOTSTRAP"]
        self.s3 = S3Settings(env["SAKUSEI_S3_ENDPOINT"], env["SAKUSEI_S3_ACCESS_KEY"], env["SAKUSEI_S3_SECRET_KEY"],
                             env.get("SAKUSEI_S3_SECURE", "false") == "true")


@pytest.fixture(scope="session")
def infra() -> Infra:
    env = _infra_env()
    ready = all(k in env for k in ("SAKUSEI_KAFKA_BOOTSTRAP", "SAKUSEI_S3_ENDPOINT")) and \
        _reachable(env["SAKUSEI_KAFKA_BOOTSTRAP"]) and _reachable(env["SAKUSEI_S3_ENDPOINT"])
    if not ready:
        if os.environ.get("SAKUSEI_REQUIRE_INFRA") == "1":
            pytest.fail("Kafka and MinIO are not running: start them with deploy/local/up.sh")
        pytest.skip("Kafka and MinIO are not running (deploy/local/up.sh starts them)")
    return Infra(env)


@pytest.fixture(scope="session")
def keys(tmp_path_factory) -> tuple[Path, Path]:
    return generate_key_pair(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def issuer(keys) -> TokenIssuer:
    return TokenIssuer.from_pem(keys[0])


@pytest.fixture(scope="session")
def verifier(keys) -> TokenVerifier:
    return TokenVerifier.from_pem(keys[1])


@pytest.fixture(scope="session")
def metric_points():
    """The data points recorded in this process so far, by metric name."""
    def read() -> dict[str, list]:
        points: dict[str, list] = {}
        for resource in METRICS.get_metrics_data().resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    points.setdefault(metric.name, []).extend(metric.data.data_points)
        return points
    return read
