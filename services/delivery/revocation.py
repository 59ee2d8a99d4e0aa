"""Revocation and recall: recalls, misuse, a municipality's cancellation, the end of a contract.

Each is a case tracked until every deletion it demanded is certified. Every step is written to the
audit trail and announced by an event (outbox) in the transaction that takes it; artifacts are
deleted after the dataset is marked recalled (so no pull starts meanwhile) and the deletion is
recorded as a step of its own. Running a recall again deletes whatever is left and changes nothing else.
"""
from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from services.common import metrics
from services.common.artifacts import DATASETS, DOCUMENTS, object_key
from services.common.errors import DataLoss, InvalidArgument, NotFound, PermissionDenied
from services.common.identity import Actor, Role
from services.common.pb.sakusei.v1 import events_pb2
from services.delivery import store
from services.delivery.context import DeliveryContext
from services.delivery.domain import cases as rules
from services.delivery.domain import registry
from services.delivery.domain.contracts import CANCELLED, ENDED
from services.delivery.domain.provision import expired
from services.delivery.provisioning import created_of, dataset_row

MAX_CERTIFICATE_BYTES = 4 << 20
_CASES = uuid.UUID("0b7c1e9a-3f5d-5a2b-8c6e-1d3f5a7b9c0e")
CAUSE = {rules.RECALL: "inadequate_processing", rules.MUNICIPALITY_CANCELLATION: "municipality_cancellation"}


def _required(value: str, field: str) -> str:
    if not value.strip():
        raise InvalidArgument(field, "is required")
    if len(value) > 2000:
        raise InvalidArgument(field, "is longer than 2000 characters")
    return value.strip()


def _timestamp(payload, field: str, at: datetime) -> None:
    getattr(payload, field).FromDatetime(at)


def _save(ctx: DeliveryContext, conn, actor, before: rules.Case | None, case: rules.Case) -> None:
    """Stores the case; its opening and closing are audited, announced and counted."""
    store.save_case(conn, case)
    if before is None:
        ctx.audit.record(conn, actor, "open_case", "case", case.case_id)
        metrics.cases_opened.add(1, {"kind": case.kind})
        metrics.cases_open.add(1, {"kind": case.kind})
    if case.state == rules.CLOSED and (before is None or before.state != rules.CLOSED):
        closed = events_pb2.CaseClosed(case_id=case.case_id, kind=case.kind)
        _timestamp(closed, "closed_at", case.closed_at)
        ctx.emit(conn, closed, key=case.case_id)
        ctx.audit.record(conn, actor, "close_case", "case", case.case_id)
        metrics.cases_open.add(-1, {"kind": case.kind})


def _demand(ctx: DeliveryContext, conn, actor, case: rules.Case, parties: list[str], dataset_ids: list[str],
            contract_id: str, now: datetime) -> rules.Case:
    fresh = [p for p in dict.fromkeys(parties) if not case.demanded_of(p)]
    case = rules.demand_deletion(case, fresh, now)
    for party in fresh:
        request = events_pb2.DeletionRequested(case_id=case.case_id, party=party, dataset_ids=dataset_ids,
                                               contract_id=contract_id, reason=case.reason)
        _timestamp(request, "requested_at", now)
        ctx.emit(conn, request, key=case.case_id)
        ctx.audit.record(conn, actor, "request_deletion", "case", case.case_id)
    return case


def _cancel(ctx: DeliveryContext, conn, actor, case: rules.Case, contract_ids: list[str], now: datetime) -> rules.Case:
    cancelled = []
    for contract_id in contract_ids:
        terms = store.contract_terms(conn, contract_id)
        if terms is not None and store.set_contract_status(conn, contract_id, CANCELLED):
            cancelled.append(contract_id)
            ctx.emit(conn, events_pb2.ContractCancelled(contract_id=contract_id, business_id=terms.business_id,
                                                        case_id=case.case_id, reason=case.reason), key=contract_id)
            ctx.audit.record(conn, actor, "cancel_contract", "contract", contract_id)
    return rules.cancel_contracts(case, cancelled, now)


def _delete_objects(ctx: DeliveryContext, keys: list[str]) -> int:
    """Deletes the objects and checks that none is left."""
    for key in keys:
        ctx.artifacts.delete(DATASETS, key)
    left = [k for k in keys if ctx.artifacts.exists(DATASETS, k)]
    if left:
        raise DataLoss(f"{len(left)} artifacts could not be deleted; run the recall again")
    return len(keys)


def _dataset_keys(ctx: DeliveryContext, dataset_id: str, base_key: str) -> list[str]:
    """Every stored version of the dataset and every per-recipient package of it."""
    found = set(ctx.artifacts.list(DATASETS, prefix=f"dataset/{dataset_id}"))
    found |= set(ctx.artifacts.list(DATASETS, prefix=object_key("package", dataset_id) + "/"))
    if ctx.artifacts.exists(DATASETS, base_key):
        found.add(base_key)
    return sorted(found)


def _case_of(conn, subject_id: str, kinds: tuple[str, ...]) -> rules.Case | None:
    return next((c for c in store.list_cases(conn) if c.subject_id == subject_id and c.kind in kinds), None)


def recall_dataset(ctx: DeliveryContext, actor, dataset_id: str, reason: str,
                   kind: str = rules.RECALL) -> rules.Case:
    """Recalls a dataset: pulls stop, its contracts are cancelled, every artifact is deleted, and its
    recipients are asked for deletion certificates. A second recall finishes what the first left."""
    reason, now = _required(reason, "reason"), ctx.clock()
    with ctx.engine.begin() as conn:
        row = dataset_row(conn, dataset_id)
        case = _case_of(conn, dataset_id, (rules.RECALL, rules.MUNICIPALITY_CANCELLATION))
        if case is None:
            store.mark_recalled(conn, dataset_id)
            case = rules.open_case(str(uuid.uuid4()), kind, "dataset", dataset_id, reason, now)
            contracts = [t.contract_id for t in store.contracts_of_dataset(conn, dataset_id, row.contract_id)]
            case = _cancel(ctx, conn, actor, case, contracts, now)
            ctx.emit(conn, events_pb2.DatasetRecalled(dataset_id=dataset_id, case_id=case.case_id, reason=reason,
                                                      cause=CAUSE[kind],
                                                      cancelled_contract_ids=case.cancelled_contract_ids),
                     key=dataset_id)
            ctx.audit.record(conn, actor, "recall_dataset", "dataset", dataset_id)
            _save(ctx, conn, actor, None, case)
    deleted = _delete_objects(ctx, _dataset_keys(ctx, dataset_id, created_of(row).artifact.key))
    with ctx.engine.begin() as conn:
        before = store.get_case(conn, case.case_id)
        case = before.step(now, "artifacts_deleted", f"{deleted} objects") if deleted else before
        store.forget_packages(conn, [p.package_id for p in store.packages_of(conn, dataset_id=dataset_id)])
        ctx.audit.record(conn, actor, "delete_artifacts", "dataset", dataset_id)
        if case.state != rules.CLOSED:
            case = _demand(ctx, conn, actor, case, store.recipients_of(conn, dataset_id=dataset_id), [dataset_id],
                           "", now)
        _save(ctx, conn, actor, before, case)
    return case


def report_misuse(ctx: DeliveryContext, actor, contract_id: str, reason: str, downstream: list[str]) -> rules.Case:
    """Misuse by a business: its contract cancelled, its packages deleted, and deletion demanded of it
    and of every downstream recipient it passed the data to."""
    reason, now = _required(reason, "reason"), ctx.clock()
    for index, party in enumerate(downstream):
        try:
            Actor.parse(f"business:{party}")
        except InvalidArgument:
            raise InvalidArgument(f"downstream_recipients[{index}]", "not a business id") from None
    with ctx.engine.begin() as conn:
        terms = store.contract_terms(conn, contract_id)
        if terms is None:
            raise NotFound("contract_id: no such contract known to delivery")
        case = rules.open_case(str(uuid.uuid4()), rules.MISUSE, "contract", contract_id, reason, now)
        case = _cancel(ctx, conn, actor, case, [contract_id], now)
        datasets = store.datasets_provided(conn, contract_id)
        case = _demand(ctx, conn, actor, case, [terms.business_id, *downstream], datasets, contract_id, now)
        packages = store.packages_of(conn, contract_id=contract_id)
        store.forget_packages(conn, [p.package_id for p in packages])
        ctx.audit.record(conn, actor, "report_misuse", "contract", contract_id)
        _save(ctx, conn, actor, None, case)
    _delete_objects(ctx, [p.key for p in packages])
    return case


def cancel_municipality_provision(ctx: DeliveryContext, actor: Actor, code: str, reason: str) -> list[rules.Case]:
    """A municipality cancels its provision contract: every dataset derived from its files is recalled."""
    if actor.role is Role.MUNICIPALITY and actor.id != code:
        raise PermissionDenied("a municipality may cancel only its own provision contract")
    reason = _required(reason, "reason")
    with ctx.engine.connect() as conn:
        derived = [r.dataset_id for r in store.all_datasets(conn)
                   if code in registry.municipalities_of(created_of(r))]
    return [recall_dataset(ctx, actor, dataset_id, reason, rules.MUNICIPALITY_CANCELLATION) for dataset_id in derived]


def submit_certificate(ctx: DeliveryContext, actor: Actor, case_id: str, statement: str,
                       document: bytes) -> rules.Case:
    """A party certifies its deletion; the document, if any, is kept with the organization's documents."""
    statement, now = _required(statement, "statement"), ctx.clock()
    if len(document) > MAX_CERTIFICATE_BYTES:
        raise InvalidArgument("document", f"larger than {MAX_CERTIFICATE_BYTES} bytes")
    with ctx.engine.connect() as conn:
        case = store.get_case(conn, case_id)
    if case is None:
        raise NotFound("case_id: no such case")
    if not case.demanded_of(actor.id):
        raise PermissionDenied(f"case {case_id} demands no deletion of this party")
    evidence = document or statement.encode("utf-8")
    sha = hashlib.sha256(evidence).hexdigest()
    if document:
        party = str(uuid.uuid5(_CASES, f"{case_id}|{actor.id}"))
        ctx.artifacts.put_stream(DOCUMENTS, object_key("deletion-certificate", case_id, party), [document],
                                 sha256=sha, size=len(document))
    with ctx.engine.begin() as conn:
        before = store.get_case(conn, case_id)
        case = rules.certify(before, actor.id, sha, now)
        ctx.audit.record(conn, actor, "submit_deletion_certificate", "case", case_id)
        _save(ctx, conn, actor, before, case)
    return case


def end_contracts(ctx: DeliveryContext, now: datetime) -> list[rules.Case]:
    """Access stops at the end of the period; whoever received a copy is asked for a deletion certificate."""
    with ctx.engine.connect() as conn:
        ending = store.active_contracts_ended_by(conn, now)
    opened = []
    for terms in ending:
        with ctx.engine.begin() as conn:
            if not store.set_contract_status(conn, terms.contract_id, ENDED):
                continue
            ctx.audit.record(conn, "service:delivery", "end_contract", "contract", terms.contract_id)
            recipients = store.recipients_of(conn, contract_id=terms.contract_id)
            packages = store.packages_of(conn, contract_id=terms.contract_id)
            store.forget_packages(conn, [p.package_id for p in packages])
            if recipients:
                case_id = str(uuid.uuid5(_CASES, f"contract-end|{terms.contract_id}"))
                case = rules.open_case(case_id, rules.CONTRACT_END, "contract", terms.contract_id,
                                       "the contract period ended", now)
                datasets = store.datasets_provided(conn, terms.contract_id)
                case = _demand(ctx, conn, "service:delivery", case, recipients, datasets, terms.contract_id, now)
                _save(ctx, conn, "service:delivery", None, case)
                opened.append(case)
        _delete_objects(ctx, [p.key for p in packages])
    return opened


def purge_provision_records(ctx: DeliveryContext, now: datetime) -> int:
    """Deletes provision records older than their retention period, without delay."""
    with ctx.engine.begin() as conn:
        old = [r.record_id for r, _ in store.provisions(conn) if expired(r.provided_at, now)]
        for record_id in old:
            ctx.audit.record(conn, "service:delivery", "delete_provision_record", "provision_record", record_id)
        return store.delete_provisions(conn, old)


def sweep(ctx: DeliveryContext, now: datetime | None = None) -> tuple[int, int]:
    """One pass of the sweepers; returns (contracts ended with a case opened, provision records deleted)."""
    now = now or ctx.clock()
    return len(end_contracts(ctx, now)), purge_provision_records(ctx, now)

