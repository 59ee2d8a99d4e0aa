"""The Dask cluster the transform service computes on: the one at SAKUSEI_DASK_SCHEDULER, or a
local cluster started on first use when none is configured."""
from __future__ import annotations

import logging
import threading

from distributed import Client, Future, LocalCluster


class DaskCluster:
    def __init__(self, address: str = "", local_workers: int = 2):
        self.address = address
        self.local_workers = local_workers
        self._client: Client | None = None
        self._local: LocalCluster | None = None
        self._lock = threading.Lock()

    def client(self) -> Client:
        with self._lock:
            if self._client is None:
                if self.address:
                    self._client = Client(self.address, timeout="30s")
                else:
                    self._local = LocalCluster(n_workers=self.local_workers, threads_per_worker=1, processes=True,
                                               host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                               silence_logs=logging.WARNING)
                    self._client = Client(self._local)
            return self._client

    @property
    def worker_count(self) -> int:
        return max(1, len(self.client().scheduler_info(n_workers=-1)["workers"]))

    def close(self) -> None:
        with self._lock:
            if self._local is not None and self._client is not None:
                self._client.run(stop_heartbeat, on_error="ignore")
            if self._client is not None:
                self._client.close()
            if self._local is not None:
                self._local.close()
            self._client = self._local = None


def stop_heartbeat(dask_worker) -> None:
    """Run on each local worker before its cluster closes. The scheduler retires the workers first,
    and a heartbeat caught in flight by that logs "Failed to communicate with scheduler" with a
    traceback, though nothing failed; workers about to close need no more heartbeats."""
    dask_worker.periodic_callbacks["heartbeat"].stop()


def broadcast(client: Client, value: object) -> Future:
    """Puts `value` on every worker under a key of its own.

    Scatter names data by its content unless told otherwise: a second job scattering equal data
    (the same plan for two files) then shares the first job's key, and the first job letting go of
    it can reach the scheduler after the second scatter, which then forgets data the second job's
    tasks need (they are cancelled for "lost dependencies").
    """
    [future] = client.scatter([value], broadcast=True, hash=False)
    return future
