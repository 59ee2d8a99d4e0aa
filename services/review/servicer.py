"""ReviewService over gRPC."""
from __future__ import annotations

import uuid
from datetime import timezone

from services.common.audit import AuditTrail
from services.common.bus import new_envelope
from services.common.errors import InvalidArgument, NotFound, PermissionDenied
from services.common.grpc_edge import rpc
from services.common.identity import Actor, Role, TokenVerifier
from services.common.outbox import Outbox
from services.common.pb.sakusei.v1 import events_pb2, review_pb2, review_pb2_grpc
from services.review import domain, store


def _terms(request: review_pb2.ConcludeContractRequest) -> domain.ContractTerms:
    for name in ("period_start", "period_end"):
        if not request.HasField(name):
            raise InvalidArgument(name, "must be set")
    targets = tuple(domain.Target(t.municipality_code, t.file_id, tuple(t.items)) for t in request.targets)
    return domain.ContractTerms(request.business_id, request.purpose, targets,
                                request.period_start.ToDatetime(timezone.utc),
                                request.period_end.ToDatetime(timezone.utc), request.max_downloads)


class ReviewServicer(review_pb2_grpc.ReviewServiceServicer):
    def __init__(self, engine, outbox: Outbox, audit: AuditTrail, verifier: TokenVerifier):
        self.engine, self.outbox, self.audit, self.verifier = engine, outbox, audit, verifier

    @rpc(Role.OPERATOR)
    def ConcludeContract(self, request, context, actor: Actor):
        if not request.client_request_id:
            raise InvalidArgument("client_request_id", "must be set")
        domain.validate_terms(_terms(request))
        with self.engine.begin() as conn:
            existing = store.find_by_client_request(conn, request.client_request_id)
            if existing is not None:
                return review_pb2.Contract.FromString(existing)
            contract = review_pb2.Contract(
                contract_id=str(uuid.uuid4()), business_id=request.business_id, purpose=request.purpose,
                targets=request.targets, period_start=request.period_start, period_end=request.period_end,
                max_downloads=request.max_downloads)
            contract.concluded_at.GetCurrentTime()
            store.insert_contract(conn, contract.contract_id, request.client_request_id, contract.business_id,
                                  contract.concluded_at.ToDatetime(timezone.utc), contract.SerializeToString())
            event = events_pb2.ContractConcluded(contract=contract)
            self.outbox.add(conn, new_envelope(event, key=contract.contract_id, producer="review"))
            self.audit.record(conn, actor, "conclude_contract", "contract", contract.contract_id)
        return contract

    @rpc(Role.OPERATOR, Role.REVIEWER, Role.AUDITOR, Role.BUSINESS)
    def GetContract(self, request, context, actor: Actor):
        with self.engine.connect() as conn:
            raw = store.get(conn, request.contract_id)
        if raw is None:
            raise NotFound("contract_id: no such contract")
        contract = review_pb2.Contract.FromString(raw)
        if actor.role is Role.BUSINESS and contract.business_id != actor.id:
            raise PermissionDenied("this contract belongs to another business")
        return contract
