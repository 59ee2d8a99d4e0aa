"""Running the creation job of one contract's dataset, exactly once in effect.

The dataset id is derived from the contract id and the object key from the dataset id, so a job
that is run again after a crash overwrites the same object and announces it once: the success
and its DatasetCreated event commit together, and a job already succeeded is not run again.
"""
from __future__ import annotations

import logging
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from services.common import metrics, telemetry
from services.common.artifacts import DATASETS, ArtifactStore, object_key
from services.common.audit import AuditTrail
from services.common.bus import new_envelope
from services.common.errors import DomainError
from services.common.outbox import Outbox
from services.common.pb.sakusei.v1 import common_pb2, events_pb2
from services.transform import pipeline, store
from services.transform.cluster import DaskCluster

log = logging.getLogger(__name__)
_DATASET_NAMESPACE = uuid.UUID("0b7f5a7e-7f0e-4d8a-a4a3-1b7e0c9d2f61")


def dataset_id_for(contract_id: str) -> str:
    return str(uuid.uuid5(_DATASET_NAMESPACE, contract_id))


@dataclass
class TransformContext:
    engine: Engine
    outbox: Outbox
    audit: AuditTrail
    artifacts: ArtifactStore
    cluster: DaskCluster


def _inputs(ctx: TransformContext, events: list[events_pb2.ExtractReceived]) -> list[pipeline.ExtractInput]:
    inputs = []
    for event in events:
        url, options = ctx.artifacts.dask_location(event.artifact.bucket, event.artifact.key)
        items = tuple((i.name, common_pb2.ItemRole.Name(i.role).removeprefix("ITEM_ROLE_")) for i in event.items)
        inputs.append(pipeline.ExtractInput(event.extract_id, event.municipality_code, event.file_id, url, options,
                                            event.encoding, items, event.row_count))
    return inputs


def run_job(ctx: TransformContext, contract_id: str, extract_ids: list[str]) -> None:
    dataset_id = dataset_id_for(contract_id)
    with ctx.engine.begin() as conn:
        job = store.get_job(conn, contract_id)
        if job is not None and job.state in ("SUCCEEDED", "FAILED"):
            return
        events = store.extract_events(conn, extract_ids)
        if len(events) != len(extract_ids):
            raise RuntimeError("an extract of the contract has not been announced yet")
        store.start_job(conn, contract_id, dataset_id)
    started = time.monotonic()
    with telemetry.tracer(__name__).start_as_current_span("create dataset") as span, \
            tempfile.TemporaryDirectory(prefix="sakusei-job-") as tmp:
        span.set_attribute("sakusei.dataset_id", dataset_id)
        out = Path(tmp) / "dataset.parquet"
        try:
            result = pipeline.create_dataset(ctx.cluster.client(), _inputs(ctx, events), out,
                                             window=2 * ctx.cluster.worker_count)
        except DomainError as error:
            _fail(ctx, contract_id, str(error))
            metrics.jobs_finished.add(1, {"outcome": "failed"})
            return
        ref = ctx.artifacts.put_file(DATASETS, object_key("dataset", dataset_id, suffix=".parquet"), out)
    _succeed(ctx, contract_id, dataset_id, events, result, ref)
    metrics.jobs_finished.add(1, {"outcome": "succeeded"})
    metrics.rows_processed.add(result.rows)
    metrics.job_duration.record(time.monotonic() - started)


def _fail(ctx: TransformContext, contract_id: str, reason: str) -> None:
    log.warning("job of contract %s failed: %s", contract_id, reason)
    with ctx.engine.begin() as conn:
        store.finish_job(conn, contract_id, "FAILED", failure_reason=reason)
        ctx.audit.record(conn, "service:transform", "create_dataset", "contract", contract_id, "FAILED")


def _succeed(ctx: TransformContext, contract_id: str, dataset_id: str, events: list[events_pb2.ExtractReceived],
             result: pipeline.DatasetResult, ref: common_pb2.ArtifactRef) -> None:
    sources = [events_pb2.DatasetSource(municipality_code=e.municipality_code, file_id=e.file_id,
                                        number_of_persons=result.rows_per_extract[e.extract_id]) for e in events]
    created = events_pb2.DatasetCreated(dataset_id=dataset_id, contract_id=contract_id, artifact=ref,
                                        number_of_persons=result.rows, items=result.columns, sources=sources)
    with ctx.engine.begin() as conn:
        store.finish_job(conn, contract_id, "SUCCEEDED", rows_in=result.rows, rows_out=result.rows,
                         deleted_columns=result.deleted_columns)
        ctx.outbox.add(conn, new_envelope(created, key=dataset_id, producer="transform",
                                          correlation_id=contract_id))
        ctx.audit.record(conn, "service:transform", "create_dataset", "dataset", dataset_id)
