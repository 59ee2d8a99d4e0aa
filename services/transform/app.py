"""The transform service process."""
from __future__ import annotations

import functools

from services.common.bus import Consumer, DeliveryPolicy
from services.common.bus.topics import EXTRACT_RECEIVED
from services.common.pb.sakusei.v1 import transform_pb2, transform_pb2_grpc
from services.common.runtime import ServiceApp
from services.transform import handlers, store
from services.transform.cluster import DaskCluster
from services.transform.jobs import TransformContext
from services.transform.servicer import TransformServicer

# A creation job runs inside the handler; Kafka must not give its partition away meanwhile.
MAX_JOB_MS = 3_600_000


class TransformApp(ServiceApp):
    name = "transform"
    schema = store

    def __init__(self, runtime, cluster: DaskCluster | None = None):
        super().__init__(runtime)
        self.cluster = cluster or DaskCluster(runtime.settings.dask_scheduler)

    def register(self, server):
        transform_pb2_grpc.add_TransformServiceServicer_to_server(
            TransformServicer(self.engine, self.runtime.verifier), server)
        return [transform_pb2.DESCRIPTOR.services_by_name["TransformService"].full_name]

    def consumers(self) -> list[Consumer]:
        ctx = TransformContext(self.engine, self.outbox, self.audit, self.runtime.store, self.cluster)
        handler = functools.partial(handlers.on_extract_received, ctx)
        return [self.runtime.bus.consumer("transform", [EXTRACT_RECEIVED], handler,
                                          DeliveryPolicy(max_attempts=3, first_backoff_s=1.0))]

    def stop(self) -> None:
        super().stop()
        self.cluster.close()
