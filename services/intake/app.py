"""The intake service process."""
from __future__ import annotations

import functools
from datetime import datetime
from typing import Callable

from services.common.bus import Consumer
from services.common.bus.topics import CONTRACT_CONCLUDED
from services.common.pb.sakusei.v1 import intake_pb2, intake_pb2_grpc
from services.common.runtime import Runtime, ServiceApp
from services.intake import handlers, store
from services.intake.app_context import IntakeContext, IntakeSettings, utc_now
from services.intake.retention import Sweeper
from services.intake.servicer import IntakeServicer


class IntakeApp(ServiceApp):
    name = "intake"
    schema = store

    def __init__(self, runtime: Runtime, settings: IntakeSettings | None = None,
                 clock: Callable[[], datetime] = utc_now):
        super().__init__(runtime)
        self.context = IntakeContext(self.engine, self.outbox, self.audit, settings or IntakeSettings.from_env(),
                                     clock=clock)
        self.servicer = IntakeServicer(self.context, runtime.verifier, runtime.store)
        self.sweeper = Sweeper(self.context, self.servicer.pushes)

    def migrate(self) -> None:
        store.upgrade(self.engine)

    def register(self, server):
        intake_pb2_grpc.add_IntakeServiceServicer_to_server(self.servicer, server)
        return [intake_pb2.DESCRIPTOR.services_by_name["IntakeService"].full_name]

    def consumers(self) -> list[Consumer]:
        handler = functools.partial(handlers.on_contract_concluded, self.context)
        return [self.runtime.bus.consumer("intake", [CONTRACT_CONCLUDED], handler)]

    def start(self, host: str | None = None, port: int | None = None) -> int:
        bound = super().start(host, port)
        self.sweeper.start()
        return bound

    def stop(self) -> None:
        self.sweeper.stop()
        super().stop()
