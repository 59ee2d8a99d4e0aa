"""What the `business` and `reviewer` commands do with proposals, on the review service's gRPC API.

A proposal is written as a JSON or YAML file:

    client_request_id: acme-2026-01
    form:                      # sakusei.v1.ProposalForm in protobuf JSON (field names or camelCase)
      kind: PROPOSAL_KIND_NEW
      proposer: {kind: PARTY_KIND_COMPANY, name: …, representative: …, postal_code: …, address: …,
                 contact: {department: …, person: …, phone: …, email: …}}
      file_kind: 国民健康保険被保険者ファイル
      targets: [{municipality_code: "131016", file_id: …}, …]
      items: [{item: 生年月日, degree: age_band_5}, …]
      persons_wanted: 1000
      use: {purpose: …, purpose_category: research, method: …, business: …,
            period_start: "2026-07-01T00:00:00Z", period_end: "2027-06-30T00:00:00Z"}
      leak_prevention: …
      provision_method: PROVISION_METHOD_DOWNLOAD
    attachments:               # paths relative to this file
      - {kind: ATTACHMENT_KIND_IDENTITY_DOCUMENT, content_type: application/pdf, path: registry.pdf,
         issued_on: "2026-05-01T00:00:00Z"}
      - {kind: ATTACHMENT_KIND_PLEDGE, content_type: application/pdf, path: pledge.pdf}
"""
from __future__ import annotations

import json
from pathlib import Path

import yaml
from google.protobuf import json_format

from services.cli.clients import PlatformClient
from services.common.pb.sakusei.v1 import review_pb2


def read_document(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: expected a mapping with client_request_id, form and attachments")
    return data


def attachment(entry: dict, base: Path) -> review_pb2.Attachment:
    """An attachment entry of a proposal file, its content read from the file it names."""
    entry = dict(entry)
    content = (base / entry.pop("path")).read_bytes()
    message = json_format.ParseDict(entry, review_pb2.Attachment())
    message.content = content
    return message


def submit_request(path: Path) -> review_pb2.SubmitProposalRequest:
    data = read_document(path)
    request = review_pb2.SubmitProposalRequest(client_request_id=str(data.get("client_request_id", "")))
    json_format.ParseDict(data.get("form", {}), request.form)
    request.attachments.extend(attachment(a, path.parent) for a in data.get("attachments", []))
    return request


def answer_request(proposal_id: str, answer: str, form_path: Path | None) -> review_pb2.AnswerCorrectionRequest:
    request = review_pb2.AnswerCorrectionRequest(proposal_id=proposal_id, answer=answer)
    if form_path is not None:
        data = read_document(form_path)
        json_format.ParseDict(data.get("form", {}), request.revised_form)
        request.attachments.extend(attachment(a, form_path.parent) for a in data.get("attachments", []))
    return request


def decide_request(proposal_id: str, criteria: list[str], work_minutes: int, outsourcing_yen: int,
                   remarks: str, anonymity=None) -> review_pb2.DecideProposalRequest:
    """`criteria` as `4=met:理由` or `6=not-met:理由`; `anonymity` is the measure 5 target of the contract."""
    request = review_pb2.DecideProposalRequest(proposal_id=proposal_id, estimated_work_minutes=work_minutes,
                                               outsourcing_yen=outsourcing_yen, remarks=remarks, anonymity=anonymity)
    for text in criteria:
        item, _, rest = text.partition("=")
        verdict, _, reason = rest.partition(":")
        if verdict not in ("met", "not-met") or not item.strip().isdigit():
            raise ValueError(f"--criterion {item}: write ITEM=met:REASON or ITEM=not-met:REASON")
        request.decisions.add(item=int(item), met=verdict == "met", reason=reason)
    return request


def summary(proposal: review_pb2.Proposal) -> str:
    """One line per criterion, then what is to be done next."""
    state = review_pb2.ProposalState.Name(proposal.state).removeprefix("PROPOSAL_STATE_")
    lines = [f"proposal {proposal.proposal_id} ({proposal.business_id}): {state}"]
    for c in proposal.criteria:
        outcome = review_pb2.CriterionOutcome.Name(c.outcome).removeprefix("CRITERION_OUTCOME_")
        lines.append(f"  item {c.item}: {outcome} — {c.reason}")
    if proposal.corrections and not proposal.corrections[-1].answer:
        lines.append(f"  correction asked: {proposal.corrections[-1].message}")
    if proposal.HasField("fee"):
        lines.append(f"  fee {proposal.fee.total_yen:,} yen, due {proposal.fee.payment_deadline.ToJsonString()}")
    if proposal.contract_id:
        lines.append(f"  contract {proposal.contract_id}")
    return "\n".join(lines)


def save_notice(client: PlatformClient, proposal_id: str, out: Path) -> int:
    notice = client.notice(proposal_id)
    out.write_bytes(notice.html)
    print(f"{notice.form} notice {notice.notice_id} written to {out} (sha256 {notice.artifact.sha256})")
    return 0


STATES = ("UNDER_REVIEW", "AWAITING_CORRECTION", "APPROVED", "REJECTED", "CONTRACTED")


def queue(client: PlatformClient, state: str) -> str:
    found = client.proposals(review_pb2.ProposalState.Value(f"PROPOSAL_STATE_{state}"))
    return "\n".join(summary(p) for p in found) or f"no proposal is {state.lower().replace('_', ' ')}"


def apply(client: PlatformClient, proposal_id: str, application: Path | None) -> review_pb2.Proposal:
    """Applies for the contract, with a scan of the signed Form 4 when one is given."""
    document = None
    if application is not None:
        document = review_pb2.Attachment(kind=review_pb2.ATTACHMENT_KIND_CONTRACT_APPLICATION,
                                         content_type="application/pdf", content=application.read_bytes())
    return client.apply_for_contract(proposal_id, document)
