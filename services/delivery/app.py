"""The delivery service process: gRPC, event consumers, and the sweepers of contract ends and records."""
from __future__ import annotations

import functools
import logging
import threading

from services.common.bus import Consumer
from services.common.bus.topics import CONTRACT_CONCLUDED, DATASET_CREATED
from services.common.pb.sakusei.v1 import delivery_pb2, delivery_pb2_grpc
from services.common.runtime import ServiceApp
from services.delivery import handlers, revocation, store
from services.delivery.context import DeliveryContext, utc_now
from services.delivery.keys import load_fingerprint_key
from services.delivery.servicer import DeliveryServicer

log = logging.getLogger(__name__)
SWEEP_INTERVAL_S = 60.0


class DeliveryApp(ServiceApp):
    name = "delivery"
    schema = store

    def __init__(self, runtime, clock=utc_now):
        super().__init__(runtime)
        self.ctx = DeliveryContext(self.engine, self.outbox, self.audit, runtime.store,
                                   load_fingerprint_key(runtime.settings.state_dir), clock)
        self._stop_sweeping = threading.Event()
        self._sweeper: threading.Thread | None = None

    def migrate(self) -> None:
        store.migrate(self.engine)

    def register(self, server):
        delivery_pb2_grpc.add_DeliveryServiceServicer_to_server(DeliveryServicer(self.ctx, self.runtime.verifier),
                                                                server)
        return [delivery_pb2.DESCRIPTOR.services_by_name["DeliveryService"].full_name]

    def consumers(self) -> list[Consumer]:
        bus = self.runtime.bus
        return [
            bus.consumer("delivery-contracts", [CONTRACT_CONCLUDED],
                         functools.partial(handlers.on_contract_concluded, self.engine)),
            bus.consumer("delivery-datasets", [DATASET_CREATED],
                         functools.partial(handlers.on_dataset_created, self.engine, self.audit)),
        ]

    def sweep(self, now=None) -> tuple[int, int]:
        """One pass of the sweepers (contract ends, provision-record retention) at ``now`` (default: the clock)."""
        return revocation.sweep(self.ctx, now)

    def _sweep_forever(self) -> None:
        while not self._stop_sweeping.wait(SWEEP_INTERVAL_S):
            try:
                self.sweep()
            except Exception as exc:  # noqa: BLE001 - the next pass retries; details stay out of the log line
                log.warning("delivery sweep failed, will retry: %s", type(exc).__name__)

    def start(self, host=None, port=None) -> int:
        bound = super().start(host, port)
        self._sweeper = threading.Thread(target=self._sweep_forever, name="delivery-sweeper", daemon=True)
        self._sweeper.start()
        return bound

    def stop(self) -> None:
        self._stop_sweeping.set()
        if self._sweeper is not None:
            self._sweeper.join(10)
        super().stop()
