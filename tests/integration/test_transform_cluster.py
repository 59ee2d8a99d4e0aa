"""The local Dask cluster of the transform service: what its close runs on the workers first."""
from __future__ import annotations

from services.transform.cluster import DaskCluster, stop_heartbeat


def _heartbeats(client) -> list[bool]:
    running = client.run(lambda dask_worker: dask_worker.periodic_callbacks["heartbeat"].is_running())
    return list(running.values())


def test_a_worker_told_to_stop_its_heartbeat_stops_it_and_still_computes():
    cluster = DaskCluster(local_workers=2)
    try:
        client = cluster.client()
        assert _heartbeats(client) == [True, True]
        client.run(stop_heartbeat)
        assert _heartbeats(client) == [False, False]
        assert client.submit(sum, [1, 2], pure=False).result() == 3
    finally:
        cluster.close()
