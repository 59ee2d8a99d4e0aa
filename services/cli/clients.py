"""gRPC clients of the four services, as the CLI, the demo and the end-to-end tests use them."""
from __future__ import annotations

import gzip as gzip_module
import hashlib
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import grpc
from opentelemetry import context as otel_context
from opentelemetry import trace

from services.common import telemetry
from services.common.config import DEFAULT_PORTS
from services.common.grpc_edge import call_metadata
from services.common.identity import Actor
from services.common.pb.sakusei.v1 import (common_pb2, delivery_pb2, delivery_pb2_grpc, intake_pb2,
                                           intake_pb2_grpc, review_pb2, review_pb2_grpc, transform_pb2,
                                           transform_pb2_grpc)

CHUNK = 1 << 20


def default_addresses() -> dict[str, str]:
    """Where each service listens: SAKUSEI_<SERVICE>_ADDRESS, else its default port on loopback."""
    return {name: os.environ.get(f"SAKUSEI_{name.upper()}_ADDRESS", f"127.0.0.1:{port}")
            for name, port in DEFAULT_PORTS.items()}


@dataclass(frozen=True)
class Pulled:
    sha256: str
    size_bytes: int


class PlatformClient:
    """Calls the platform as one actor; ``token`` proves who that is.

    Each push and pull starts a trace of its own, as a separate command would; ``last_trace_id``
    tells which, so that what the platform did because of it can be followed.
    """

    def __init__(self, addresses: dict[str, str], token: str):
        self.token = token
        self.last_trace_id = ""
        self._channels = {name: grpc.insecure_channel(address) for name, address in addresses.items()}

    @contextmanager
    def _trace(self, name: str):
        with telemetry.tracer("sakusei.cli").start_as_current_span(name, context=otel_context.Context(),
                                                                   kind=trace.SpanKind.CLIENT) as span:
            self.last_trace_id = format(span.get_span_context().trace_id, "032x")
            yield

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()

    @property
    def _md(self):
        return call_metadata(self.token)

    def intake(self) -> intake_pb2_grpc.IntakeServiceStub:
        return intake_pb2_grpc.IntakeServiceStub(self._channels["intake"])

    def review(self) -> review_pb2_grpc.ReviewServiceStub:
        return review_pb2_grpc.ReviewServiceStub(self._channels["review"])

    def transform(self) -> transform_pb2_grpc.TransformServiceStub:
        return transform_pb2_grpc.TransformServiceStub(self._channels["transform"])

    def delivery(self) -> delivery_pb2_grpc.DeliveryServiceStub:
        return delivery_pb2_grpc.DeliveryServiceStub(self._channels["delivery"])

    def register_file(self, request: intake_pb2.RegisterFileRequest) -> intake_pb2.FileRegisterEntry:
        return self.intake().RegisterFile(request, metadata=self._md, timeout=30)

    def data_requests(self, open_only: bool = False) -> list[intake_pb2.DataRequest]:
        reply = self.intake().ListDataRequests(intake_pb2.ListDataRequestsRequest(open_only=open_only),
                                               metadata=self._md, timeout=30)
        return list(reply.requests)

    def push_extract(self, request_id: str, path: Path, encoding: str, row_count: int,
                     progress: Callable[[int], None] = lambda _: None) -> intake_pb2.PushExtractResponse:
        sha = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(CHUNK), b""):
                sha.update(block)
        header = intake_pb2.ExtractHeader(request_id=request_id, format=common_pb2.EXTRACT_FORMAT_CSV,
                                          encoding=encoding, row_count=row_count, sha256=sha.hexdigest(),
                                          size_bytes=path.stat().st_size)
        with self._trace("push extract"):
            return self.intake().PushExtract(_push_messages(header, path, progress), metadata=self._md,
                                             timeout=3600)

    def data_request(self, request_id: str) -> intake_pb2.GetDataRequestResponse:
        """A request addressed to this municipality, with the register entry it draws on."""
        return self.intake().GetDataRequest(intake_pb2.GetDataRequestRequest(request_id=request_id),
                                            metadata=self._md, timeout=30)

    def watch_requests(self, timeout_s: float) -> Iterator[intake_pb2.DataRequest]:
        """Open requests now, then new ones as they are issued, until ``timeout_s`` has passed."""
        return self.intake().WatchDataRequests(intake_pb2.WatchDataRequestsRequest(), metadata=self._md,
                                               timeout=timeout_s)

    def answer_request(self, request_id: str, acknowledge: bool, reason: str = "") -> intake_pb2.DataRequest:
        answer = intake_pb2.ANSWER_ACKNOWLEDGE if acknowledge else intake_pb2.ANSWER_DECLINE
        return self.intake().AnswerDataRequest(
            intake_pb2.AnswerDataRequestRequest(request_id=request_id, answer=answer, reason=reason),
            metadata=self._md, timeout=30)

    def push_status(self, upload_id: str) -> intake_pb2.PushState:
        return self.intake().PushStatus(intake_pb2.PushStatusRequest(upload_id=upload_id), metadata=self._md,
                                        timeout=30)

    def push_resumable(self, request_id: str, path: Path, encoding: str, row_count: int, *, upload_id: str = "",
                       gzip: bool = False, progress: Callable[[int], None] = lambda _: None,
                       on_state: Callable[[intake_pb2.PushState], None] = lambda _: None,
                       chunk_size: int = CHUNK) -> intake_pb2.PushExtractResponse:
        """Pushes through a resumable upload: a new one, or ``upload_id`` continued from the offset
        the organization holds. ``on_state`` learns the upload id and offset before bytes are sent,
        so a caller can keep them for a later resume. With ``gzip`` the file is gzip and the
        declared sha256 and size are those of the CSV inside."""
        with self._trace("push extract"):
            if upload_id:
                state = self.push_status(upload_id)
            else:
                sha, size = _digest(path, gzip)
                header = intake_pb2.ExtractHeader(request_id=request_id, format=common_pb2.EXTRACT_FORMAT_CSV,
                                                  encoding=encoding, row_count=row_count, sha256=sha,
                                                  size_bytes=size, gzip=gzip)
                state = self.intake().InitPush(header, metadata=self._md, timeout=30)
            on_state(state)
            header = intake_pb2.ExtractHeader(request_id=request_id, upload_id=state.upload_id, offset=state.offset)
            return self.intake().PushExtract(_push_messages(header, path, progress, state.offset, chunk_size),
                                             metadata=self._md, timeout=3600)

    def receipt_records(self, municipality_code: str = "") -> list[intake_pb2.ReceiptRecord]:
        reply = self.intake().ListReceiptRecords(
            intake_pb2.ListReceiptRecordsRequest(municipality_code=municipality_code), metadata=self._md, timeout=30)
        return list(reply.records)

    def conclude_contract(self, request: review_pb2.ConcludeContractRequest) -> review_pb2.Contract:
        return self.review().ConcludeContract(request, metadata=self._md, timeout=30)

    def contract(self, contract_id: str) -> review_pb2.Contract:
        return self.review().GetContract(review_pb2.GetContractRequest(contract_id=contract_id), metadata=self._md,
                                         timeout=30)

    def published_files(self, file_kind: str = "", item_name: str = "", municipality_code: str = "",
                        limit: int = 0) -> list[review_pb2.PublishedFile]:
        request = review_pb2.ListPublishedFilesRequest(file_kind=file_kind, item_name=item_name,
                                                       municipality_code=municipality_code, limit=limit)
        return list(self.review().ListPublishedFiles(request, metadata=self._md, timeout=30).files)

    def schedule_window(self, request: review_pb2.ScheduleWindowRequest) -> review_pb2.ScheduleWindowResponse:
        return self.review().ScheduleWindow(request, metadata=self._md, timeout=30)

    def windows(self, from_fiscal_year: int = 0, to_fiscal_year: int = 0) -> review_pb2.ListWindowsResponse:
        request = review_pb2.ListWindowsRequest(from_fiscal_year=from_fiscal_year, to_fiscal_year=to_fiscal_year)
        return self.review().ListWindows(request, metadata=self._md, timeout=30)

    def submit_proposal(self, request: review_pb2.SubmitProposalRequest) -> review_pb2.Proposal:
        return self.review().SubmitProposal(request, metadata=self._md, timeout=60)

    def proposal(self, proposal_id: str) -> review_pb2.Proposal:
        return self.review().GetProposal(review_pb2.GetProposalRequest(proposal_id=proposal_id), metadata=self._md,
                                         timeout=30)

    def proposals(self, state: int = 0) -> list[review_pb2.Proposal]:
        reply = self.review().ListProposals(review_pb2.ListProposalsRequest(state=state), metadata=self._md,
                                            timeout=30)
        return list(reply.proposals)

    def request_correction(self, proposal_id: str, message: str) -> review_pb2.Proposal:
        request = review_pb2.RequestCorrectionRequest(proposal_id=proposal_id, message=message)
        return self.review().RequestCorrection(request, metadata=self._md, timeout=30)

    def answer_correction(self, request: review_pb2.AnswerCorrectionRequest) -> review_pb2.Proposal:
        return self.review().AnswerCorrection(request, metadata=self._md, timeout=60)

    def decide_proposal(self, request: review_pb2.DecideProposalRequest) -> review_pb2.Proposal:
        return self.review().DecideProposal(request, metadata=self._md, timeout=30)

    def notice(self, proposal_id: str) -> review_pb2.Notice:
        return self.review().GetNotice(review_pb2.GetNoticeRequest(proposal_id=proposal_id), metadata=self._md,
                                       timeout=30)

    def apply_for_contract(self, proposal_id: str,
                           application: review_pb2.Attachment | None = None) -> review_pb2.Proposal:
        request = review_pb2.ApplyForContractRequest(proposal_id=proposal_id, application=application)
        return self.review().ApplyForContract(request, metadata=self._md, timeout=60)

    def record_fee_payment(self, proposal_id: str, amount_yen: int) -> review_pb2.Proposal:
        request = review_pb2.RecordFeePaymentRequest(proposal_id=proposal_id, amount_yen=amount_yen)
        return self.review().RecordFeePayment(request, metadata=self._md, timeout=30)

    def add_disqualification(self, request: review_pb2.AddDisqualificationRequest) -> review_pb2.Disqualification:
        return self.review().AddDisqualification(request, metadata=self._md, timeout=30)

    def job(self, contract_id: str) -> transform_pb2.TransformJob:
        return self.transform().GetJob(transform_pb2.GetJobRequest(contract_id=contract_id), metadata=self._md,
                                       timeout=30)

    def datasets(self) -> list[delivery_pb2.Dataset]:
        reply = self.delivery().ListDatasets(delivery_pb2.ListDatasetsRequest(), metadata=self._md, timeout=30)
        return list(reply.datasets)

    def pull(self, dataset_id: str, out: Path, progress: Callable[[int], None] = lambda _: None,
             resume: bool = True) -> Pulled:
        """Downloads the package into ``out`` through ``out.partial``, kept only if its sha256 matches.

        An interrupted pull leaves the partial file; the next pull of the same package resumes from
        its end (which the contract does not count as another download)."""
        with self._trace("pull dataset"):
            return self._pull(dataset_id, out, progress, resume)

    def _pull(self, dataset_id: str, out: Path, progress: Callable[[int], None], resume: bool) -> Pulled:
        partial, expected = out.with_name(out.name + ".partial"), out.with_name(out.name + ".partial.sha256")
        offset = partial.stat().st_size if resume and partial.is_file() and expected.is_file() else 0
        stream = self.delivery().PullDataset(delivery_pb2.PullDatasetRequest(dataset_id=dataset_id, offset=offset),
                                             metadata=self._md, timeout=3600)
        header = next(stream).header
        if offset and expected.read_text().strip() != header.sha256:
            stream.cancel()
            partial.unlink(missing_ok=True)
            return self._pull(dataset_id, out, progress, resume=False)
        expected.write_text(header.sha256)
        sha, size = hashlib.sha256(), offset
        if offset:
            with open(partial, "rb") as handle:
                for block in iter(lambda: handle.read(CHUNK), b""):
                    sha.update(block)
        with open(partial, "ab" if offset else "wb") as handle:
            for message in stream:
                handle.write(message.chunk)
                sha.update(message.chunk)
                size += len(message.chunk)
                progress(size)
        try:
            if sha.hexdigest() != header.sha256 or size != header.size_bytes:
                raise ValueError("the downloaded bytes do not match the package's sha256; nothing was kept")
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
            expected.unlink(missing_ok=True)
        return Pulled(header.sha256, size)

    def registry(self) -> list[delivery_pb2.RegistryEntry]:
        return list(self.delivery().ListRegistry(delivery_pb2.ListRegistryRequest(), metadata=self._md,
                                                 timeout=30).entries)

    def set_delivery_format(self, contract_id: str, fmt: int) -> delivery_pb2.SetDeliveryFormatResponse:
        return self.delivery().SetDeliveryFormat(delivery_pb2.SetDeliveryFormatRequest(contract_id=contract_id,
                                                                                       format=fmt),
                                                 metadata=self._md, timeout=30)

    def trace_leak(self, data: bytes, dataset_id: str = "") -> delivery_pb2.TraceResult:
        return self.delivery().Trace(delivery_pb2.TraceRequest(file=data, dataset_id=dataset_id), metadata=self._md,
                                     timeout=300)

    def recall(self, dataset_id: str, reason: str) -> delivery_pb2.Case:
        return self.delivery().RecallDataset(delivery_pb2.RecallDatasetRequest(dataset_id=dataset_id, reason=reason),
                                             metadata=self._md, timeout=120)

    def report_misuse(self, contract_id: str, reason: str, downstream: list[str]) -> delivery_pb2.Case:
        return self.delivery().ReportMisuse(delivery_pb2.ReportMisuseRequest(
            contract_id=contract_id, reason=reason, downstream_recipients=downstream), metadata=self._md, timeout=120)

    def cancel_provision(self, municipality_code: str, reason: str) -> list[delivery_pb2.Case]:
        reply = self.delivery().CancelMunicipalityProvision(delivery_pb2.CancelMunicipalityProvisionRequest(
            municipality_code=municipality_code, reason=reason), metadata=self._md, timeout=300)
        return list(reply.cases)

    def submit_deletion_certificate(self, case_id: str, statement: str, document: bytes = b"") -> delivery_pb2.Case:
        return self.delivery().SubmitDeletionCertificate(delivery_pb2.SubmitDeletionCertificateRequest(
            case_id=case_id, statement=statement, document=document), metadata=self._md, timeout=60)

    def cases(self, open_only: bool = False) -> list[delivery_pb2.Case]:
        return list(self.delivery().ListCases(delivery_pb2.ListCasesRequest(open_only=open_only), metadata=self._md,
                                              timeout=30).cases)

    def provision_records(self, dataset_id: str = "") -> list[delivery_pb2.ProvisionRecord]:
        return list(self.delivery().ListProvisionRecords(delivery_pb2.ListProvisionRecordsRequest(
            dataset_id=dataset_id), metadata=self._md, timeout=30).records)


def _push_messages(header: intake_pb2.ExtractHeader, path: Path, progress: Callable[[int], None],
                   offset: int = 0, chunk_size: int = CHUNK) -> Iterator[intake_pb2.PushExtractRequest]:
    yield intake_pb2.PushExtractRequest(header=header)
    sent = offset
    with open(path, "rb") as handle:
        handle.seek(offset)
        for block in iter(lambda: handle.read(chunk_size), b""):
            sent += len(block)
            progress(sent)
            yield intake_pb2.PushExtractRequest(chunk=block)


def _digest(path: Path, gzip: bool) -> tuple[str, int]:
    """sha256 and size of the CSV: the file itself, or what a gzip file holds."""
    sha, size = hashlib.sha256(), 0
    with (gzip_module.open(path, "rb") if gzip else open(path, "rb")) as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            sha.update(block)
            size += len(block)
    return sha.hexdigest(), size


def contract_request(client_request_id: str, business_id: str, purpose: str,
                     targets: list[tuple[str, str, list[str]]], start: datetime, end: datetime,
                     max_downloads: int, degrees: dict[str, str] | None = None,
                     anonymity: common_pb2.AnonymityTarget | None = None) -> review_pb2.ConcludeContractRequest:
    """``degrees`` (item → degree of processing) applies to every target's items it names."""
    request = review_pb2.ConcludeContractRequest(
        client_request_id=client_request_id, business_id=business_id, purpose=purpose, max_downloads=max_downloads,
        anonymity=anonymity,
        targets=[review_pb2.ContractTarget(municipality_code=m, file_id=f, items=i,
                                           degrees={k: v for k, v in (degrees or {}).items() if k in i})
                 for m, f, i in targets])
    request.period_start.FromDatetime(start.astimezone(timezone.utc))
    request.period_end.FromDatetime(end.astimezone(timezone.utc))
    return request


def anonymity_target(k: int = 0, suppression_limit_pct: float = 0.0,
                     distinct_l: list[str] | tuple[str, ...] = ()) -> common_pb2.AnonymityTarget:
    """Measure 5 from command-line words: ``distinct_l`` as ``ITEM:L``."""
    target = common_pb2.AnonymityTarget(k=k, suppression_limit_pct=suppression_limit_pct)
    for text in distinct_l:
        item, _, l = text.rpartition(":")
        if not item or not l.isdigit():
            raise ValueError(f"--distinct-l {text}: write ITEM:L")
        target.distinct_l.add(item=item, l=int(l))
    return target


def actor_token(issuer, actor: str) -> str:
    return issuer.issue(Actor.parse(actor))
