"""The intake service process."""
from __future__ import annotations

import functools

from services.common.bus import Consumer
from services.common.bus.topics import CONTRACT_CONCLUDED
from services.common.pb.sakusei.v1 import intake_pb2, intake_pb2_grpc
from services.common.runtime import ServiceApp
from services.intake import domain, handlers, store
from services.intake.app_context import IntakeContext
from services.intake.servicer import IntakeServicer


class IntakeApp(ServiceApp):
    name = "intake"
    schema = store

    @property
    def context(self) -> IntakeContext:
        return IntakeContext(self.engine, self.outbox, self.audit, domain.DEFAULT_MAX_EXTRACT_BYTES)

    def register(self, server):
        servicer = IntakeServicer(self.context, self.runtime.verifier, self.runtime.store)
        intake_pb2_grpc.add_IntakeServiceServicer_to_server(servicer, server)
        return [intake_pb2.DESCRIPTOR.services_by_name["IntakeService"].full_name]

    def consumers(self) -> list[Consumer]:
        handler = functools.partial(handlers.on_contract_concluded, self.context)
        return [self.runtime.bus.consumer("intake", [CONTRACT_CONCLUDED], handler)]
