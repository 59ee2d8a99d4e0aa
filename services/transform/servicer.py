"""TransformService over gRPC: operators follow creation jobs."""
from __future__ import annotations

import json
from datetime import timezone

from services.common.errors import NotFound
from services.common.grpc_edge import rpc
from services.common.identity import Actor, Role, TokenVerifier
from services.common.pb.sakusei.v1 import transform_pb2, transform_pb2_grpc
from services.transform import store


def job_to_proto(row) -> transform_pb2.TransformJob:
    job = transform_pb2.TransformJob(
        contract_id=row.contract_id, dataset_id=row.dataset_id, state=transform_pb2.JobState.Value(f"JOB_STATE_{row.state}"),
        rows_in=row.rows_in, rows_out=row.rows_out, deleted_columns=json.loads(row.deleted_columns),
        failure_reason=row.failure_reason, attempts=row.attempts)
    for name in ("started_at", "finished_at"):
        value = getattr(row, name)
        if value is not None:
            getattr(job, name).FromDatetime(value.replace(tzinfo=value.tzinfo or timezone.utc))
    return job


class TransformServicer(transform_pb2_grpc.TransformServiceServicer):
    def __init__(self, engine, verifier: TokenVerifier):
        self.engine, self.verifier = engine, verifier

    @rpc(Role.OPERATOR, Role.AUDITOR)
    def GetJob(self, request, context, actor: Actor):
        with self.engine.connect() as conn:
            row = store.get_job(conn, request.contract_id)
        if row is None:
            raise NotFound("contract_id: no creation job for that contract")
        return job_to_proto(row)
