"""gRPC clients of the four services, as the CLI, the demo and the end-to-end tests use them."""
from __future__ import annotations

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

    def conclude_contract(self, request: review_pb2.ConcludeContractRequest) -> review_pb2.Contract:
        return self.review().ConcludeContract(request, metadata=self._md, timeout=30)

    def contract(self, contract_id: str) -> review_pb2.Contract:
        return self.review().GetContract(review_pb2.GetContractRequest(contract_id=contract_id), metadata=self._md,
                                         timeout=30)

    def job(self, contract_id: str) -> transform_pb2.TransformJob:
        return self.transform().GetJob(transform_pb2.GetJobRequest(contract_id=contract_id), metadata=self._md,
                                       timeout=30)

    def datasets(self) -> list[delivery_pb2.Dataset]:
        reply = self.delivery().ListDatasets(delivery_pb2.ListDatasetsRequest(), metadata=self._md, timeout=30)
        return list(reply.datasets)

    def pull(self, dataset_id: str, out: Path, progress: Callable[[int], None] = lambda _: None) -> Pulled:
        """Downloads into ``out`` through a temporary file, kept only if its sha256 matches."""
        with self._trace("pull dataset"):
            return self._pull(dataset_id, out, progress)

    def _pull(self, dataset_id: str, out: Path, progress: Callable[[int], None]) -> Pulled:
        stream = self.delivery().PullDataset(delivery_pb2.PullDatasetRequest(dataset_id=dataset_id),
                                             metadata=self._md, timeout=3600)
        header = next(stream).header
        partial = out.with_name(out.name + ".partial")
        sha, size = hashlib.sha256(), 0
        try:
            with open(partial, "wb") as handle:
                for message in stream:
                    handle.write(message.chunk)
                    sha.update(message.chunk)
                    size += len(message.chunk)
                    progress(size)
            if sha.hexdigest() != header.sha256 or size != header.size_bytes:
                raise ValueError("the downloaded bytes do not match the dataset's sha256; nothing was kept")
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
        return Pulled(header.sha256, size)


def _push_messages(header: intake_pb2.ExtractHeader, path: Path,
                   progress: Callable[[int], None]) -> Iterator[intake_pb2.PushExtractRequest]:
    yield intake_pb2.PushExtractRequest(header=header)
    sent = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            sent += len(block)
            progress(sent)
            yield intake_pb2.PushExtractRequest(chunk=block)


def contract_request(client_request_id: str, business_id: str, purpose: str,
                     targets: list[tuple[str, str, list[str]]], start: datetime, end: datetime,
                     max_downloads: int) -> review_pb2.ConcludeContractRequest:
    request = review_pb2.ConcludeContractRequest(
        client_request_id=client_request_id, business_id=business_id, purpose=purpose, max_downloads=max_downloads,
        targets=[review_pb2.ContractTarget(municipality_code=m, file_id=f, items=i) for m, f, i in targets])
    request.period_start.FromDatetime(start.astimezone(timezone.utc))
    request.period_end.FromDatetime(end.astimezone(timezone.utc))
    return request


def actor_token(issuer, actor: str) -> str:
    return issuer.issue(Actor.parse(actor))
