"""DeliveryService over gRPC."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from opentelemetry import trace

from services.common import metrics, telemetry
from services.common.artifacts import ArtifactStore
from services.common.audit import AuditTrail
from services.common.errors import FailedPrecondition, NotFound
from services.common.grpc_edge import rpc, streaming_rpc
from services.common.identity import Actor, Role, TokenVerifier
from services.common.pb.sakusei.v1 import delivery_pb2, delivery_pb2_grpc, events_pb2
from services.delivery import domain, store


def dataset_to_proto(row) -> delivery_pb2.Dataset:
    created = events_pb2.DatasetCreated.FromString(row.created)
    dataset = delivery_pb2.Dataset(dataset_id=created.dataset_id, contract_id=created.contract_id,
                                   number_of_persons=created.number_of_persons, items=created.items,
                                   sources=created.sources, sha256=created.artifact.sha256,
                                   size_bytes=created.artifact.size_bytes)
    dataset.registered_at.FromDatetime(row.registered_at.replace(tzinfo=row.registered_at.tzinfo or timezone.utc))
    return dataset


class DeliveryServicer(delivery_pb2_grpc.DeliveryServiceServicer):
    def __init__(self, engine, audit: AuditTrail, verifier: TokenVerifier, artifacts: ArtifactStore):
        self.engine, self.audit, self.verifier, self.artifacts = engine, audit, verifier, artifacts

    @rpc(Role.BUSINESS, Role.OPERATOR, Role.AUDITOR)
    def ListDatasets(self, request, context, actor: Actor):
        with self.engine.connect() as conn:
            rows = store.list_datasets(conn, actor.id if actor.role is Role.BUSINESS else None)
        return delivery_pb2.ListDatasetsResponse(datasets=[dataset_to_proto(r) for r in rows])

    @streaming_rpc(Role.BUSINESS)
    def PullDataset(self, request, context, actor: Actor):
        row, created = self._authorize_pull(request.dataset_id, actor)
        creation = telemetry.extract(json.loads(row.trace_context))
        link = trace.Link(trace.get_current_span().get_span_context())
        with telemetry.tracer(__name__).start_as_current_span("provide dataset", context=creation, links=[link]) as span:
            span.set_attribute("sakusei.dataset_id", created.dataset_id)
            ref = created.artifact
            yield delivery_pb2.PullDatasetResponse(header=delivery_pb2.PullHeader(
                dataset_id=created.dataset_id, format="parquet", sha256=ref.sha256, size_bytes=ref.size_bytes))
            for chunk in self.artifacts.read(ref.bucket, ref.key):
                yield delivery_pb2.PullDatasetResponse(chunk=chunk)

    def _authorize_pull(self, dataset_id: str, actor: Actor):
        """Checks the contract and counts the download, recording it, before any byte is sent."""
        with self.engine.begin() as conn:
            row = store.get_dataset(conn, dataset_id)
            if row is None:
                raise NotFound("dataset_id: no such dataset")
            terms = store.contract_terms(conn, row.contract_id)
            if terms is None:
                raise FailedPrecondition("the dataset's contract is not known to delivery yet")
            try:
                domain.check_pull(terms, actor.id, datetime.now(timezone.utc))
            except Exception as refusal:
                self.audit.record_now(actor, "pull_dataset", "dataset", dataset_id, type(refusal).__name__)
                metrics.pulls.add(1, {"outcome": type(refusal).__name__})
                raise
            if not store.count_download(conn, terms.contract_id, terms.downloads):
                raise FailedPrecondition("another download of this contract was counted at the same time; retry")
            self.audit.record(conn, actor, "pull_dataset", "dataset", dataset_id)
        metrics.pulls.add(1, {"outcome": "ok"})
        return row, events_pb2.DatasetCreated.FromString(row.created)
