"""The review service process."""
from __future__ import annotations

import functools

from services.common.bus import Consumer
from services.common.bus.topics import (DATA_REQUEST_ANSWERED, DATA_REQUEST_ISSUED, DATASET_CREATED, EXTRACT_RECEIVED,
                                        FILE_REGISTERED)
from services.common.pb.sakusei.v1 import review_pb2, review_pb2_grpc
from services.common.runtime import ServiceApp
from services.review import handlers, migrations, store
from services.review.config import ReviewConfig
from services.review.servicer import ReviewServicer


class ReviewApp(ServiceApp):
    name = "review"
    schema = store

    def __init__(self, runtime, config: ReviewConfig | None = None):
        self.config = config or ReviewConfig.from_env()
        super().__init__(runtime)

    def migrate(self) -> None:
        migrations.upgrade(self.engine)

    def register(self, server):
        servicer = ReviewServicer(self.engine, self.outbox, self.audit, self.runtime.verifier, self.runtime.store,
                                  self.config)
        review_pb2_grpc.add_ReviewServiceServicer_to_server(servicer, server)
        return [review_pb2.DESCRIPTOR.services_by_name["ReviewService"].full_name]

    def consumers(self) -> list[Consumer]:
        topics = [FILE_REGISTERED, DATA_REQUEST_ISSUED, DATA_REQUEST_ANSWERED, EXTRACT_RECEIVED, DATASET_CREATED]
        return [self.runtime.bus.consumer("review", topics, functools.partial(handlers.on_event, self.engine))]
