"""DeliveryService over gRPC: turns requests into use cases and results into messages."""
from __future__ import annotations

import json
import uuid
from datetime import timezone

from opentelemetry import trace

from services.common import metrics, telemetry
from services.common.errors import DomainError, FailedPrecondition, InvalidArgument, OutOfRange
from services.common.grpc_edge import rpc, streaming_rpc
from services.common.identity import Actor, Role, TokenVerifier
from services.common.pb.sakusei.v1 import delivery_pb2, delivery_pb2_grpc
from services.delivery import provisioning, revocation, store, tracing
from services.delivery.context import DeliveryContext
from services.delivery.domain import cases as case_rules
from services.delivery.domain import registry
from services.delivery.domain.contracts import check_pull, is_resume
from services.delivery.domain.provision import ProvisionRecord
from services.delivery.provisioning import PROTO_FORMAT, created_of

_KIND = {case_rules.RECALL: delivery_pb2.CASE_KIND_RECALL, case_rules.MISUSE: delivery_pb2.CASE_KIND_MISUSE,
         case_rules.MUNICIPALITY_CANCELLATION: delivery_pb2.CASE_KIND_MUNICIPALITY_CANCELLATION,
         case_rules.CONTRACT_END: delivery_pb2.CASE_KIND_CONTRACT_END}
_STATE = {case_rules.OPEN: delivery_pb2.CASE_STATE_OPEN,
          case_rules.AWAITING: delivery_pb2.CASE_STATE_AWAITING_CERTIFICATES,
          case_rules.CLOSED: delivery_pb2.CASE_STATE_CLOSED}
_ALL_ROLES = tuple(Role)


def _registered_at(row):
    return row.registered_at.replace(tzinfo=row.registered_at.tzinfo or timezone.utc)


def dataset_to_proto(row, package: provisioning.PackageRef | None = None) -> delivery_pb2.Dataset:
    created = created_of(row)
    dataset = delivery_pb2.Dataset(dataset_id=created.dataset_id, contract_id=created.contract_id,
                                   number_of_persons=created.number_of_persons, items=created.items,
                                   sources=created.sources, recalled=row.recalled)
    if package is None:
        dataset.sha256, dataset.size_bytes = created.artifact.sha256, created.artifact.size_bytes
    elif package.sha256:
        dataset.sha256, dataset.size_bytes = package.sha256, package.size_bytes
        dataset.format = PROTO_FORMAT[package.format]
    dataset.registered_at.FromDatetime(_registered_at(row))
    return dataset


def registry_entry(row) -> delivery_pb2.RegistryEntry:
    created = created_of(row)
    entry = delivery_pb2.RegistryEntry(dataset_id=created.dataset_id, number_of_persons=created.number_of_persons,
                                       items=created.items, sources=created.sources, recalled=row.recalled,
                                       processing_summary=registry.processing_summary(created))
    entry.registered_at.FromDatetime(_registered_at(row))
    return entry


def case_to_proto(case: case_rules.Case) -> delivery_pb2.Case:
    message = delivery_pb2.Case(case_id=case.case_id, kind=_KIND[case.kind], state=_STATE[case.state],
                                subject_type=case.subject_type, subject_id=case.subject_id, reason=case.reason,
                                cancelled_contract_ids=case.cancelled_contract_ids)
    message.opened_at.FromDatetime(case.opened_at)
    if case.closed_at:
        message.closed_at.FromDatetime(case.closed_at)
    for demand in case.demands:
        item = message.demands.add(party=demand.party, certificate_sha256=demand.certificate_sha256)
        item.requested_at.FromDatetime(demand.requested_at)
        if demand.certified_at:
            item.certified_at.FromDatetime(demand.certified_at)
    for step in case.steps:
        message.steps.add(action=step.action, detail=step.detail).at.FromDatetime(step.at)
    return message


class DeliveryServicer(delivery_pb2_grpc.DeliveryServiceServicer):
    def __init__(self, ctx: DeliveryContext, verifier: TokenVerifier):
        self.ctx, self.verifier = ctx, verifier

    @rpc(Role.BUSINESS, Role.OPERATOR, Role.AUDITOR)
    def ListDatasets(self, request, context, actor: Actor):
        with self.ctx.engine.connect() as conn:
            rows = store.list_datasets(conn, actor.id if actor.role is Role.BUSINESS else None)
        if actor.role is not Role.BUSINESS:
            return delivery_pb2.ListDatasetsResponse(datasets=[dataset_to_proto(r) for r in rows])
        return delivery_pb2.ListDatasetsResponse(datasets=[dataset_to_proto(r, self._own_package(r, actor))
                                                           for r in rows])

    def _own_package(self, row, actor: Actor) -> provisioning.PackageRef:
        """The business's package, built if it may pull it now; an empty reference otherwise."""
        try:
            with self.ctx.engine.connect() as conn:
                terms = provisioning.contract_for(conn, row, actor.id)
            check_pull(terms, actor.id, self.ctx.clock(), new_download=False)
            return provisioning.ensure_package(self.ctx, row, terms)
        except DomainError:  # listing shows what may be pulled now; a pull says why not
            return provisioning.PackageRef("", "", "", "", 0, "parquet")

    @streaming_rpc(Role.BUSINESS)
    def PullDataset(self, request, context, actor: Actor):
        row, package = self._authorize_pull(request.dataset_id, request.offset, actor)
        creation = telemetry.extract(json.loads(row.trace_context))
        link = trace.Link(trace.get_current_span().get_span_context())
        with telemetry.tracer(__name__).start_as_current_span("provide dataset", context=creation, links=[link]) as span:
            span.set_attribute("sakusei.dataset_id", row.dataset_id)
            span.set_attribute("sakusei.package_id", package.package_id)
            yield delivery_pb2.PullDatasetResponse(header=delivery_pb2.PullHeader(
                dataset_id=row.dataset_id, format="zip", sha256=package.sha256, size_bytes=package.size_bytes,
                offset=request.offset, data_format=PROTO_FORMAT[package.format], package_id=package.package_id))
            if request.offset < package.size_bytes:
                for chunk in self.ctx.artifacts.read(package.bucket, package.key, request.offset):
                    yield delivery_pb2.PullDatasetResponse(chunk=chunk)

    def _refused(self, actor: Actor, dataset_id: str, refusal: Exception) -> None:
        self.ctx.audit.record_now(actor, "pull_dataset", "dataset", dataset_id, type(refusal).__name__)
        metrics.pulls.add(1, {"outcome": type(refusal).__name__})

    def _authorize_pull(self, dataset_id: str, offset: int, actor: Actor):
        """Checks contract, period, recall, offset and download count, and records the provision,
        before any byte is sent."""
        if offset < 0:
            raise InvalidArgument("offset", "must not be negative")
        with self.ctx.engine.connect() as conn:
            row = provisioning.dataset_row(conn, dataset_id)
            try:
                terms = provisioning.contract_for(conn, row, actor.id)
                now = self.ctx.clock()
                planned = provisioning.planned_package_id(conn, row, terms)
                counted = store.last_counted_pull(conn, planned, actor.id)
                check_pull(terms, actor.id, now, new_download=not is_resume(offset, counted, now))
            except DomainError as refusal:
                self._refused(actor, dataset_id, refusal)
                raise
        package = provisioning.ensure_package(self.ctx, row, terms)
        if offset > package.size_bytes:
            raise OutOfRange(f"offset: beyond the package's {package.size_bytes} bytes")
        self._record_pull(row, package, offset, actor)
        metrics.pulls.add(1, {"outcome": "ok"})
        return row, package

    def _record_pull(self, row, package: provisioning.PackageRef, offset: int, actor: Actor) -> None:
        """Counts the download (unless it resumes one) and writes the provision record, in one transaction."""
        now = self.ctx.clock()
        created = created_of(row)
        try:
            with self.ctx.engine.begin() as conn:
                terms = provisioning.contract_for(conn, row, actor.id)
                resumed = is_resume(offset, store.last_counted_pull(conn, package.package_id, actor.id), now)
                check_pull(terms, actor.id, now, new_download=not resumed)
                if not resumed and not store.count_download(conn, terms.contract_id, terms.downloads):
                    raise FailedPrecondition("another download of this contract was counted at the same time; retry")
                record = ProvisionRecord(str(uuid.uuid4()), now, actor.id, row.dataset_id, terms.contract_id,
                                         tuple(created.items), created.number_of_persons, package.sha256, resumed)
                store.add_provision(conn, record, package.package_id)
                self.ctx.audit.record(conn, actor, "pull_dataset", "dataset", row.dataset_id)
        except DomainError as refusal:
            self._refused(actor, row.dataset_id, refusal)
            raise

    @rpc(*_ALL_ROLES)
    def ListRegistry(self, request, context, actor: Actor):
        with self.ctx.engine.connect() as conn:
            rows = store.all_datasets(conn)
        return delivery_pb2.ListRegistryResponse(entries=[registry_entry(r) for r in rows])

    @rpc(Role.OPERATOR)
    def SetDeliveryFormat(self, request, context, actor: Actor):
        fmt = provisioning.set_format(self.ctx, actor, request.contract_id, request.format)
        return delivery_pb2.SetDeliveryFormatResponse(contract_id=request.contract_id, format=PROTO_FORMAT[fmt])

    @rpc(Role.OPERATOR)
    def Trace(self, request, context, actor: Actor):
        traced = tracing.trace_leak(self.ctx, request.file, request.dataset_id)
        verdict = traced.verdict
        self.ctx.audit.record_now(actor, "trace_leak", "dataset", traced.dataset_id,
                                  "ok" if verdict.recipient else "no_match")
        return delivery_pb2.TraceResult(
            dataset_id=traced.dataset_id, recipient=verdict.recipient, confidence=verdict.confidence,
            p_value=verdict.p_value, rows_examined=verdict.rows_examined, columns_used=verdict.columns_used,
            conclusion=verdict.conclusion,
            scores=[delivery_pb2.TraceScore(recipient=s.recipient, rows_matched=s.matched,
                                            log_likelihood_ratio=s.log_likelihood_ratio, confidence=s.confidence,
                                            p_value=s.p_value) for s in verdict.scores])

    @rpc(Role.OPERATOR)
    def RecallDataset(self, request, context, actor: Actor):
        return case_to_proto(revocation.recall_dataset(self.ctx, actor, request.dataset_id, request.reason))

    @rpc(Role.OPERATOR)
    def ReportMisuse(self, request, context, actor: Actor):
        return case_to_proto(revocation.report_misuse(self.ctx, actor, request.contract_id, request.reason,
                                                      list(request.downstream_recipients)))

    @rpc(Role.MUNICIPALITY, Role.OPERATOR)
    def CancelMunicipalityProvision(self, request, context, actor: Actor):
        cases = revocation.cancel_municipality_provision(self.ctx, actor, request.municipality_code, request.reason)
        return delivery_pb2.ListCasesResponse(cases=[case_to_proto(c) for c in cases])

    @rpc(Role.BUSINESS)
    def SubmitDeletionCertificate(self, request, context, actor: Actor):
        return case_to_proto(revocation.submit_certificate(self.ctx, actor, request.case_id, request.statement,
                                                           request.document))

    @rpc(Role.OPERATOR, Role.AUDITOR, Role.BUSINESS)
    def ListCases(self, request, context, actor: Actor):
        with self.ctx.engine.connect() as conn:
            cases = store.list_cases(conn, request.open_only)
        if actor.role is Role.BUSINESS:
            cases = [c for c in cases if c.demanded_of(actor.id)]
        return delivery_pb2.ListCasesResponse(cases=[case_to_proto(c) for c in cases])

    @rpc(Role.AUDITOR, Role.OPERATOR)
    def ListProvisionRecords(self, request, context, actor: Actor):
        with self.ctx.engine.connect() as conn:
            records = store.provisions(conn, request.dataset_id)
        self.ctx.audit.record_now(actor, "list_provision_records", "dataset", request.dataset_id or "all")
        out = []
        for record, delete_after in records:
            message = delivery_pb2.ProvisionRecord(
                record_id=record.record_id, recipient=record.recipient, dataset_id=record.dataset_id,
                contract_id=record.contract_id, items=record.items, number_of_persons=record.number_of_persons,
                package_sha256=record.package_sha256, resumed=record.resumed)
            message.provided_at.FromDatetime(record.provided_at)
            message.delete_after.FromDatetime(delete_after)
            out.append(message)
        return delivery_pb2.ListProvisionRecordsResponse(records=out)
