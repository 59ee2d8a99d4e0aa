"""The review service process."""
from __future__ import annotations

from services.common.pb.sakusei.v1 import review_pb2, review_pb2_grpc
from services.common.runtime import ServiceApp
from services.review import store
from services.review.servicer import ReviewServicer


class ReviewApp(ServiceApp):
    name = "review"
    schema = store

    def register(self, server):
        servicer = ReviewServicer(self.engine, self.outbox, self.audit, self.runtime.verifier)
        review_pb2_grpc.add_ReviewServiceServicer_to_server(servicer, server)
        return [review_pb2.DESCRIPTOR.services_by_name["ReviewService"].full_name]
