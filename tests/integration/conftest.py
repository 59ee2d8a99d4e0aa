"""The services as separate processes on the real Kafka, MinIO and a two-worker Dask cluster."""
from __future__ import annotations

import pytest

from services.cli.clients import PlatformClient, actor_token
from tests.integration.processes import SERVICES, DaskProcesses, ServiceProcesses, own_consumer_groups


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test's report carries the tail of each service's log, the only trace of what the
    separate processes did once their temporary directory is gone."""
    outcome = yield
    report = outcome.get_result()
    running = item.funcargs.get("services") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and isinstance(running, ServiceProcesses):
        for service in SERVICES:
            report.sections.append((f"{service} log", running.log_tail(service, 80)))


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    cluster = DaskProcesses(tmp_path_factory.mktemp("dask")).start(workers=2)
    yield cluster
    cluster.stop()


@pytest.fixture
def services(infra, keys, dask_cluster, tmp_path):
    env = {**infra.env, **own_consumer_groups(), "SAKUSEI_TOKEN_PUBLIC_KEY": str(keys[1]),
           "SAKUSEI_DASK_SCHEDULER": dask_cluster.address}
    running = ServiceProcesses(tmp_path, env)
    try:
        try:
            running.start_all()
        except Exception:
            for service in running.procs:
                print(f"--- {service} log ---\n{running.log_tail(service)}")
            raise
        yield running
    finally:
        running.stop()


@pytest.fixture
def client_for(services, issuer):
    made: list[PlatformClient] = []

    def make(actor: str) -> PlatformClient:
        made.append(PlatformClient(services.addresses, actor_token(issuer, actor)))
        return made[-1]

    yield make
    for client in made:
        client.close()
