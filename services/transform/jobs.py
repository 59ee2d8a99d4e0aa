"""Running the creation job of one contract's dataset, exactly once in effect.

The dataset id is derived from the contract id and every object key from the dataset id, so a
job run again after a crash overwrites the same objects and announces them once: the success and
its DatasetCreated event commit together, and a job already ended is not run again. Nothing is
stored before the output passed verification.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Engine

from services.common import metrics, telemetry
from services.common.artifacts import DATASETS, DOCUMENTS, METHOD_INFO, ArtifactStore, object_key
from services.common.audit import AuditTrail
from services.common.bus import new_envelope
from services.common.errors import DomainError
from services.common.outbox import Outbox
from services.common.pb.sakusei.v1 import common_pb2, events_pb2
from services.transform import pipeline, store
from services.transform.cluster import DaskCluster
from services.transform.domain.measure_five import AnonymityTarget
from services.transform.domain.report import build_report, render_html
from services.transform.domain.schema import ItemRole, ItemType, RecordItem, RegisterEntry

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


def _source(ctx: TransformContext, event: events_pb2.ExtractReceived) -> pipeline.Source:
    items = tuple(RecordItem(i.name, ItemType[common_pb2.ItemType.Name(i.type).removeprefix("ITEM_TYPE_")],
                             ItemRole[common_pb2.ItemRole.Name(i.role).removeprefix("ITEM_ROLE_")])
                  for i in event.items)
    entry = RegisterEntry(event.municipality_code, event.file_name or event.file_id, items)
    url, options = ctx.artifacts.dask_location(event.artifact.bucket, event.artifact.key)
    requested = {item: event.requested_degrees.get(item, "as_is") for item in event.requested_items}
    target = AnonymityTarget(event.anonymity.k, event.anonymity.suppression_limit_pct / 100,
                             tuple((d.item, d.l) for d in event.anonymity.distinct_l))
    return pipeline.Source(event.extract_id, event.municipality_code, event.file_id, url, options, event.encoding,
                           event.row_count, entry, requested, target)


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
            result = pipeline.create_dataset(ctx.cluster.client(), [_source(ctx, e) for e in events], out,
                                             dt.date.today(), window=2 * ctx.cluster.worker_count)
        except DomainError as error:
            _fail(ctx, contract_id, str(error))
            metrics.jobs_finished.add(1, {"outcome": "failed"})
            return
        ref = ctx.artifacts.put_file(DATASETS, object_key("dataset", dataset_id, suffix=".parquet"), out)
        summary = _store_report(ctx, dataset_id, result, Path(tmp))
    _succeed(ctx, contract_id, dataset_id, events, result, ref, summary)
    metrics.jobs_finished.add(1, {"outcome": "succeeded"})
    metrics.rows_processed.add(result.rows)
    metrics.job_duration.record(time.monotonic() - started)


def _store_report(ctx: TransformContext, dataset_id: str, result: pipeline.DatasetResult,
                  tmp: Path) -> events_pb2.ProcessingSummary:
    """Stores the processing report (for people and machines) and, apart from it, the
    processing-method information; the job's secret key is in neither and is gone with the job."""
    reports = [build_report(s.verification, s.source.entry, s.release) for s in result.sources]
    refs = {}
    for suffix, text in ((".json", json.dumps({"dataset_id": dataset_id, "sources": reports}, ensure_ascii=False,
                                              indent=2)),
                         (".html", "\n".join(render_html(r) for r in reports))):
        path = tmp / f"report{suffix}"
        path.write_text(text, encoding="utf-8")
        refs[suffix] = ctx.artifacts.put_file(DOCUMENTS, object_key("report", dataset_id, suffix=suffix), path)
    method = tmp / "method.json"
    method.write_text(json.dumps(_method_information(dataset_id, result), ensure_ascii=False, default=str),
                      encoding="utf-8")
    ctx.artifacts.put_file(METHOD_INFO, object_key("method", dataset_id, suffix=".json"), method)
    return events_pb2.ProcessingSummary(report_json=refs[".json"], report_html=refs[".html"],
                                        sources=[_verified(s) for s in result.sources])


def _method_information(dataset_id: str, result: pipeline.DatasetResult) -> dict:
    return {"dataset_id": dataset_id, "reference_date": dt.date.today().isoformat(),
            "sources": [{"extract_id": s.source.extract_id,
                         "rules": [{"column": r.column, "operator": r.operator, "params": asdict(r.params)}
                                   for r in s.policy.rules],
                         "measure_5": {"target": asdict(s.source.anonymity),
                                       "transformation": s.release.get("transformation", {})}}
                        for s in result.sources]}


def _verified(source: pipeline.SourceResult) -> events_pb2.SourceVerification:
    v = source.verification
    return events_pb2.SourceVerification(
        extract_id=source.source.extract_id, municipality_code=source.source.municipality_code, rows=v.rows, k=v.k,
        risk_highest=v.risk_highest, risk_average=v.risk_average,
        measures=[events_pb2.MeasureOutcome(measure=m.measure, status=m.status) for m in v.measures])


def _fail(ctx: TransformContext, contract_id: str, reason: str) -> None:
    log.warning("job of contract %s failed: %s", contract_id, reason)
    with ctx.engine.begin() as conn:
        store.finish_job(conn, contract_id, "FAILED", failure_reason=reason)
        ctx.audit.record(conn, "service:transform", "create_dataset", "contract", contract_id, "FAILED")


def _succeed(ctx: TransformContext, contract_id: str, dataset_id: str, events: list[events_pb2.ExtractReceived],
             result: pipeline.DatasetResult, ref: common_pb2.ArtifactRef,
             summary: events_pb2.ProcessingSummary) -> None:
    rows = {s.source.extract_id: s.verification.rows for s in result.sources}
    deleted = sorted({r.column for s in result.sources for r in s.policy.rules if r.operator == "delete"})
    sources = [events_pb2.DatasetSource(municipality_code=e.municipality_code, file_id=e.file_id,
                                        number_of_persons=rows[e.extract_id]) for e in events]
    created = events_pb2.DatasetCreated(dataset_id=dataset_id, contract_id=contract_id, artifact=ref,
                                        number_of_persons=result.rows, items=result.columns, sources=sources,
                                        summary=summary)
    with ctx.engine.begin() as conn:
        store.finish_job(conn, contract_id, "SUCCEEDED", rows_in=result.rows, rows_out=result.rows,
                         deleted_columns=deleted)
        ctx.outbox.add(conn, new_envelope(created, key=dataset_id, producer="transform",
                                          correlation_id=contract_id))
        ctx.audit.record(conn, "service:transform", "create_dataset", "dataset", dataset_id)
