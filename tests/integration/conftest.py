"""The services as separate processes on the real Kafka, MinIO and a two-worker Dask cluster."""
from __future__ import annotations

import pytest

from services.cli.clients import PlatformClient, actor_token
from tests.integration.processes import DaskProcesses, ServiceProcesses


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    cluster = DaskProcesses(tmp_path_factory.mktemp("dask")).start(workers=2)
    yield cluster
    cluster.stop()


@pytest.fixture
def services(infra, keys, dask_cluster, tmp_path):
    env = {**infra.env, "SAKUSEI_TOKEN_PUBLIC_KEY": str(keys[1]), "SAKUSEI_DASK_SCHEDULER": dask_cluster.address}
    running = ServiceProcesses(tmp_path, env)
    try:
        running.start_all()
        yield running
    except Exception:
        for service in running.procs:
            print(f"--- {service} log ---\n{running.log_tail(service)}")
        raise
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
