"""The delivery service process."""
from __future__ import annotations

import functools

from services.common.bus import Consumer
from services.common.bus.topics import CONTRACT_CONCLUDED, DATASET_CREATED
from services.common.pb.sakusei.v1 import delivery_pb2, delivery_pb2_grpc
from services.common.runtime import ServiceApp
from services.delivery import handlers, store
from services.delivery.servicer import DeliveryServicer


class DeliveryApp(ServiceApp):
    name = "delivery"
    schema = store

    def register(self, server):
        servicer = DeliveryServicer(self.engine, self.audit, self.runtime.verifier, self.runtime.store)
        delivery_pb2_grpc.add_DeliveryServiceServicer_to_server(servicer, server)
        return [delivery_pb2.DESCRIPTOR.services_by_name["DeliveryService"].full_name]

    def consumers(self) -> list[Consumer]:
        bus = self.runtime.bus
        return [
            bus.consumer("delivery-contracts", [CONTRACT_CONCLUDED],
                         functools.partial(handlers.on_contract_concluded, self.engine)),
            bus.consumer("delivery-datasets", [DATASET_CREATED],
                         functools.partial(handlers.on_dataset_created, self.engine, self.audit)),
        ]
