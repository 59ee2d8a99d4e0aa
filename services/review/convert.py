"""Between review's protobuf messages and its domain's plain data."""
from __future__ import annotations

from datetime import datetime, timezone

from services.common.pb.sakusei.v1 import common_pb2, review_pb2
from services.review.domain import degrees, proposals, screening
from services.review.domain.fees import Fee
from services.review.domain.registers import RegisteredFile
from services.review.domain.windows import Window

_OUTCOMES = {screening.MET: review_pb2.CRITERION_OUTCOME_MET, screening.NOT_MET: review_pb2.CRITERION_OUTCOME_NOT_MET,
             screening.PENDING: review_pb2.CRITERION_OUTCOME_PENDING}


def enum_name(enum, value: int, prefix: str) -> str:
    """An enum value's name without its prefix; empty for the unspecified zero."""
    return "" if value == 0 else enum.Name(value).removeprefix(prefix)


def time_of(message, field: str) -> datetime | None:
    return getattr(message, field).ToDatetime(timezone.utc) if message.HasField(field) else None


def stamp(message, field: str, at: datetime) -> None:
    getattr(message, field).FromDatetime(at.astimezone(timezone.utc))


def _party(message: review_pb2.Party) -> proposals.Party:
    c = message.contact
    return proposals.Party(enum_name(review_pb2.PartyKind, message.kind, "PARTY_KIND_"), message.name,
                           message.name_kana, message.representative, message.postal_code, message.address,
                           proposals.Contact(c.department, c.person, c.phone, c.email))


def form(message: review_pb2.ProposalForm) -> proposals.Form:
    use = message.use
    return proposals.Form(
        kind=enum_name(review_pb2.ProposalKind, message.kind, "PROPOSAL_KIND_"),
        proposer=_party(message.proposer),
        proxy=_party(message.proxy) if message.HasField("proxy") else None,
        file_kind=message.file_kind,
        targets=tuple(proposals.Target(t.municipality_code, t.file_id) for t in message.targets),
        items=tuple((i.item, i.degree) for i in message.items),
        persons_wanted=message.persons_wanted,
        use=proposals.Use(use.purpose, use.purpose_category, use.method, use.business, time_of(use, "period_start"),
                          time_of(use, "period_end")),
        leak_prevention=message.leak_prevention,
        provision_method=enum_name(review_pb2.ProvisionMethod, message.provision_method, "PROVISION_METHOD_"),
        dataset_id=message.dataset_id)


def upload(message: review_pb2.Attachment) -> proposals.Upload:
    return proposals.Upload(enum_name(review_pb2.AttachmentKind, message.kind, "ATTACHMENT_KIND_"),
                            message.content_type, len(message.content), message.holder or "proposer")


def documents(stored) -> tuple[proposals.Document, ...]:
    return tuple(proposals.Document(enum_name(review_pb2.AttachmentKind, a.kind, "ATTACHMENT_KIND_"), a.holder,
                                    time_of(a, "issued_on")) for a in stored)


def criteria_to_proto(results: tuple[screening.Criterion, ...]) -> list[review_pb2.CriterionResult]:
    return [review_pb2.CriterionResult(item=c.item, outcome=_OUTCOMES[c.outcome], reason=c.reason,
                                       decided_by=c.decided_by) for c in results]


def criteria(messages) -> tuple[screening.Criterion, ...]:
    by_value = {v: k for k, v in _OUTCOMES.items()}
    return tuple(screening.Criterion(c.item, by_value[c.outcome], c.reason, c.decided_by) for c in messages)


def decisions(messages) -> tuple[screening.Decision, ...]:
    return tuple(screening.Decision(d.item, d.met, d.reason) for d in messages)


def state_name(value: int) -> str:
    return enum_name(review_pb2.ProposalState, value, "PROPOSAL_STATE_")


def state_value(name: str) -> int:
    return review_pb2.ProposalState.Value(f"PROPOSAL_STATE_{name}")


def window_to_proto(window: Window) -> review_pb2.RecruitmentWindow:
    message = review_pb2.RecruitmentWindow(window_id=window.window_id, fiscal_year=window.fiscal_year,
                                           subject=window.subject)
    for field in ("announced_at", "opens_at", "closes_at"):
        stamp(message, field, getattr(window, field))
    return message


def fee_to_proto(fee: Fee) -> review_pb2.FeeQuote:
    message = review_pb2.FeeQuote(base_yen=fee.base_yen, work_hours=fee.work_hours, hourly_yen=fee.hourly_yen,
                                  outsourcing_yen=fee.outsourcing_yen, total_yen=fee.total_yen,
                                  payment_method=fee.payment_method)
    stamp(message, "payment_deadline", fee.payment_deadline)
    return message


def published_file(entry: RegisteredFile) -> review_pb2.PublishedFile:
    items = [review_pb2.PublishedItem(
        item=common_pb2.RecordItem(name=i.name, type=common_pb2.ItemType.Value(f"ITEM_TYPE_{i.type}"),
                                   role=common_pb2.ItemRole.Value(f"ITEM_ROLE_{i.role}")),
        offered_degrees=degrees.catalogue(i.type, i.role)) for i in entry.items]
    return review_pb2.PublishedFile(file_id=entry.file_id, municipality_code=entry.municipality_code,
                                    file_name=entry.file_name, purpose=entry.purpose, items=items,
                                    number_of_persons=entry.number_of_persons)
