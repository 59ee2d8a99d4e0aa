"""Proposals over gRPC on embedded defaults: the portal, recruitment windows, a proposal across
three municipalities walked to a concluded contract, a rejection on items 2 and 3, and the status
codes of bad requests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from services.cli import sample, scenario
from services.cli.clients import PlatformClient, actor_token, anonymity_target
from services.cli.demo import start_embedded
from services.common.artifacts import DOCUMENTS
from services.common.bus.base import wait_until
from services.common.bus.topics import CONTRACT_CONCLUDED, FILE_REGISTERED
from services.common.pb.sakusei.v1 import common_pb2, events_pb2, review_pb2

FILE_KIND = "国民健康保険被保険者ファイル"
SMALL_KIND = "介護保険被保険者ファイル"
CODES = ("131016", "011002", "271004")


@dataclass
class Review:
    apps: dict
    addresses: dict
    issuer: object
    files: dict[str, str]
    small_files: dict[str, str]
    hidden_file: str

    def client(self, actor: str) -> PlatformClient:
        return PlatformClient(self.addresses, actor_token(self.issuer, actor))


def _register(client: PlatformClient, tag: str, kind: str, persons: int, invited: bool = True) -> str:
    request = sample.register_request(tag, kind, persons)
    request.proposals_invited = invited
    return client.register_file(request).file_id


@pytest.fixture(scope="module")
def review(tmp_path_factory):
    apps, addresses, issuer = start_embedded(tmp_path_factory.mktemp("review"))
    try:
        made = Review(apps, addresses, issuer, {}, {}, "")
        for code in CODES:
            municipality = made.client(f"municipality:{code}")
            made.files[code] = _register(municipality, "nhi", FILE_KIND, 400)
            if code != "271004":
                made.small_files[code] = _register(municipality, "ltc", SMALL_KIND, 300)
        made.hidden_file = _register(made.client("municipality:131016"), "hidden", "生活保護ファイル", 5000, False)
        portal = made.client("business:acme-research")
        assert wait_until(lambda: len(portal.published_files(limit=500)) == 5, 30)
        yield made
    finally:
        for app in apps.values():
            app.stop()


def _status(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value.code(), caught.value.details()


def _decide(proposal_id: str, minutes: int = 90, outsourcing: int = 0, item_4: bool = True, anonymity=None):
    return review_pb2.DecideProposalRequest(
        proposal_id=proposal_id, estimated_work_minutes=minutes, outsourcing_yen=outsourcing, anonymity=anonymity,
        decisions=[
            review_pb2.CriterionDecision(item=4, met=item_4, reason="新産業の創出に資する" if item_4 else "事業の公益性が示されていない"),
            review_pb2.CriterionDecision(item=6, met=True, reason="利用目的・方法・漏えい防止措置は適切")])


def _outcomes(proposal) -> dict[int, int]:
    return {c.item: c.outcome for c in proposal.criteria}


MET, NOT_MET, PENDING = (review_pb2.CRITERION_OUTCOME_MET, review_pb2.CRITERION_OUTCOME_NOT_MET,
                         review_pb2.CRITERION_OUTCOME_PENDING)


def test_outside_a_window_no_proposal_is_accepted_and_the_year_without_one_is_flagged(review):
    buyer = review.client("business:acme-research")
    request = scenario.sample_proposal("early", FILE_KIND, review.files, scenario.SAMPLE_DEGREES)
    code, details = _status(lambda: buyer.submit_proposal(request))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "window" in details
    listed = buyer.windows()
    assert not listed.windows and len(listed.fiscal_years_without_window) == 2 and listed.warnings


def test_window_rules(review):
    operator = review.client("operator")
    now = datetime.now(timezone.utc)

    def window(tag, announced, opens, closes):
        request = review_pb2.ScheduleWindowRequest(client_request_id=tag, subject="提案募集")
        for name, at in (("announced_at", announced), ("opens_at", opens), ("closes_at", closes)):
            getattr(request, name).FromDatetime(at)
        return lambda: operator.schedule_window(request)

    cases = [(window("late-notice", now + timedelta(days=2), now + timedelta(days=1), now + timedelta(days=40)),
              "announced_at"),
             (window("too-short", now, now + timedelta(days=1), now + timedelta(days=30, hours=23)), "closes_at")]
    for call, field in cases:
        code, details = _status(call)
        assert code == grpc.StatusCode.INVALID_ARGUMENT and details.startswith(field)
    exactly_30 = window("thirty", now, now + timedelta(days=400), now + timedelta(days=430))()
    assert exactly_30.window.fiscal_year >= 2026
    assert _status(lambda: review.client("business:acme-research").schedule_window(
        review_pb2.ScheduleWindowRequest()))[0] == grpc.StatusCode.PERMISSION_DENIED
    opened = scenario.open_window(operator, "e2e")
    assert scenario.open_window(operator, "e2e").window.window_id == opened.window.window_id
    listed = operator.windows()
    assert opened.window.fiscal_year not in listed.fiscal_years_without_window


@pytest.fixture(scope="module")
def window(review):
    return scenario.open_window(review.client("operator"), "e2e").window


def test_the_portal_lists_invited_files_across_municipalities_by_kind_and_item(review):
    municipality = review.client("municipality:271004")
    found = municipality.published_files(file_kind="国民健康保険")
    assert {f.municipality_code for f in found} == set(CODES) and review.hidden_file not in {f.file_id for f in found}
    by_item = review.client("auditor").published_files(item_name="個人番号", municipality_code="131016")
    assert {f.file_id for f in by_item} == {review.files["131016"], review.small_files["131016"]}
    items = {i.item.name: list(i.offered_degrees) for i in found[0].items}
    assert items["個人番号"] == [] and "age_band_<N>" in items["生年月日"] and "as_is" not in items["氏名"]
    assert _status(lambda: municipality.published_files(municipality_code="131017"))[0] == \
        grpc.StatusCode.INVALID_ARGUMENT


def test_a_proposal_across_three_municipalities_ends_in_a_contract_and_data_requests(review, window):
    buyer, other = review.client("business:acme-research"), review.client("business:someone-else")
    reviewer, operator = review.client("reviewer"), review.client("operator")
    request = scenario.sample_proposal("walk", FILE_KIND, review.files, scenario.SAMPLE_DEGREES)
    proposal = buyer.submit_proposal(request)
    assert buyer.submit_proposal(request).proposal_id == proposal.proposal_id
    assert proposal.window_id == window.window_id and proposal.state == review_pb2.PROPOSAL_STATE_UNDER_REVIEW
    assert _outcomes(proposal) == {1: MET, 2: MET, 3: MET, 4: PENDING, 5: MET, 6: PENDING, 7: MET}
    store = review.apps["review"].runtime.store
    assert {a.artifact.key for a in proposal.attachments} <= set(store.list(DOCUMENTS, "attachment/"))
    assert _status(lambda: other.proposal(proposal.proposal_id))[0] == grpc.StatusCode.PERMISSION_DENIED
    assert proposal.proposal_id in {p.proposal_id for p in reviewer.proposals(review_pb2.PROPOSAL_STATE_UNDER_REVIEW)}

    asked = reviewer.request_correction(proposal.proposal_id, "利用期間の根拠を説明してください")
    assert asked.state == review_pb2.PROPOSAL_STATE_AWAITING_CORRECTION
    assert _status(lambda: reviewer.decide_proposal(_decide(proposal.proposal_id)))[0] == \
        grpc.StatusCode.FAILED_PRECONDITION
    answered = buyer.answer_correction(review_pb2.AnswerCorrectionRequest(
        proposal_id=proposal.proposal_id, answer="分析と論文化に1年を要するためです"))
    assert answered.state == review_pb2.PROPOSAL_STATE_UNDER_REVIEW and answered.corrections[0].answer

    assert _status(lambda: reviewer.decide_proposal(_decide(proposal.proposal_id, anonymity=anonymity_target(k=1)))) \
        == (grpc.StatusCode.INVALID_ARGUMENT, "anonymity.k: must be 0 (not enforced) or from 2 to 1000")
    assert _status(lambda: reviewer.decide_proposal(_decide(
        proposal.proposal_id, anonymity=anonymity_target(5, distinct_l=["病名:2"]))))[1] == \
        "anonymity.distinct_l[0].item: must be one of the contract's items"
    decided = reviewer.decide_proposal(_decide(proposal.proposal_id, minutes=90, outsourcing=10_000,
                                               anonymity=anonymity_target(5, 2.0)))
    assert decided.state == review_pb2.PROPOSAL_STATE_APPROVED and decided.anonymity.k == 5
    assert not buyer.proposal(proposal.proposal_id).HasField("anonymity")
    assert decided.fee.total_yen == 21_000 + 2 * 3_950 + 10_000 and decided.fee.work_hours == 2
    notice = buyer.notice(proposal.proposal_id)
    html = notice.html.decode()
    assert notice.form == "別記様式第三" and "38,900 円" in html and "ダウンロード" in html and "<script" not in html
    assert "http" not in html and store.exists(DOCUMENTS, notice.artifact.key)

    assert _status(lambda: operator.record_fee_payment(proposal.proposal_id, 100))[0] == \
        grpc.StatusCode.INVALID_ARGUMENT
    applied = buyer.apply_for_contract(proposal.proposal_id)
    assert applied.state == review_pb2.PROPOSAL_STATE_APPROVED and not applied.contract_id
    assert not applied.HasField("anonymity")
    concluded = operator.record_fee_payment(proposal.proposal_id, decided.fee.total_yen)
    assert concluded.state == review_pb2.PROPOSAL_STATE_CONTRACTED
    assert operator.record_fee_payment(proposal.proposal_id, decided.fee.total_yen).contract_id == concluded.contract_id

    contract = buyer.contract(concluded.contract_id)
    assert contract.proposal_id == proposal.proposal_id and contract.fee_yen == decided.fee.total_yen
    assert not contract.HasField("anonymity") and operator.contract(concluded.contract_id).anonymity.k == 5
    assert {t.municipality_code for t in contract.targets} == set(CODES)
    assert dict(contract.targets[0].degrees) == scenario.SAMPLE_DEGREES
    terms = contract.conditions
    assert terms.no_reidentification and terms.no_secondary_distribution and terms.deletion_at_end
    assert terms.audit_rights and terms.incident_reporting and terms.safety_measures
    for code in CODES:
        municipality = review.client(f"municipality:{code}")
        assert wait_until(lambda: any(r.contract_id == contract.contract_id for r in municipality.data_requests()), 30)
    bus = review.apps["review"].runtime.bus
    events = [events_pb2.EventEnvelope.FromString(v) for v in bus.read_all(CONTRACT_CONCLUDED)]
    mine = [e for e in events if e.contract_concluded.contract.proposal_id == proposal.proposal_id]
    assert [e.key for e in mine] == [contract.contract_id]
    assert mine[0].contract_concluded.contract.anonymity.suppression_limit_pct == 2.0


def test_a_proposal_failing_items_2_and_3_is_rejected_with_both_reasons(review, window):
    buyer, reviewer = review.client("business:small-lab"), review.client("reviewer")
    degrees = {"生年月日": "as_is+prefecture", "個人番号": "as_is", "性別": "as_is"}
    proposal = buyer.submit_proposal(scenario.sample_proposal("small", SMALL_KIND, review.small_files, degrees))
    assert _outcomes(proposal)[2] == NOT_MET and _outcomes(proposal)[3] == NOT_MET
    decided = reviewer.decide_proposal(_decide(proposal.proposal_id))
    assert decided.state == review_pb2.PROPOSAL_STATE_REJECTED and not decided.HasField("fee")
    html = buyer.notice(proposal.proposal_id).html.decode()
    assert "別記様式第五" in html and "第2号、第3号" in html
    assert "600 persons in all" in html and "個人番号 is an individual identification code" in html
    assert "degree as_is+prefecture is not offered for item 生年月日" in html
    assert _status(lambda: reviewer.decide_proposal(_decide(proposal.proposal_id)))[0] == \
        grpc.StatusCode.FAILED_PRECONDITION
    assert _status(lambda: buyer.apply_for_contract(proposal.proposal_id))[0] == grpc.StatusCode.FAILED_PRECONDITION


def test_a_business_with_a_contract_cancelled_last_year_fails_item_1(review, window):
    operator = review.client("operator")
    entry = review_pb2.AddDisqualificationRequest(
        client_request_id="cancelled-2025", business_id="careless-co",
        kind=review_pb2.DISQUALIFICATION_KIND_CONTRACT_CANCELLED, note="契約解除（二次流通）")
    entry.since.FromDatetime(datetime.now(timezone.utc) - timedelta(days=365))
    operator.add_disqualification(entry)
    request = scenario.sample_proposal("careless", FILE_KIND, review.files, scenario.SAMPLE_DEGREES)
    del request.attachments[1]  # no pledge
    proposal = review.client("business:careless-co").submit_proposal(request)
    reason = next(c.reason for c in proposal.criteria if c.item == 1)
    assert "cancelled within the last 2 years" in reason and "pledge" in reason


def _form_error(buyer, change) -> tuple[grpc.StatusCode, str]:
    request = scenario.sample_proposal("bad", FILE_KIND, {"131016": "x"}, scenario.SAMPLE_DEGREES)
    change(request)
    return _status(lambda: buyer.submit_proposal(request))


@pytest.mark.parametrize("change, field", [
    (lambda r: r.ClearField("client_request_id"), "client_request_id"),
    (lambda r: r.form.proposer.ClearField("name"), "form.proposer.name"),
    (lambda r: setattr(r.form.proposer.contact, "email", "佐藤 at example"), "form.proposer.contact.email"),
    (lambda r: r.form.use.ClearField("period_end"), "form.use.period_end"),
    (lambda r: setattr(r.form.use, "purpose_category", "marketing"), "form.use.purpose_category"),
    (lambda r: setattr(r.form.targets[0], "municipality_code", "131017"), "form.targets[0].municipality_code"),
    (lambda r: setattr(r.form.targets[0], "file_id", "no-such-file"), "form.targets[0].file_id"),
    (lambda r: setattr(r.attachments[0], "content_type", "text/html"), "attachments[0].content_type"),
])
def test_a_missing_or_malformed_field_is_named_and_not_echoed(review, window, change, field):
    code, details = _form_error(review.client("business:acme-research"), change)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and details.startswith(field + ":")
    assert "佐藤" not in details


def test_oversized_documents_are_refused(review, window):
    request = scenario.sample_proposal("huge", FILE_KIND, review.files, scenario.SAMPLE_DEGREES)
    request.attachments[0].content = b"0" * (3 << 20)
    code, details = _status(lambda: review.client("business:acme-research").submit_proposal(request))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and details.startswith("attachments[0]")


def test_only_the_roles_named_may_act(review, window):
    buyer = review.client("business:acme-research")
    proposal = buyer.proposals()[0]
    for call in (lambda: buyer.decide_proposal(_decide(proposal.proposal_id)),
                 lambda: buyer.record_fee_payment(proposal.proposal_id, 1),
                 lambda: review.client("reviewer").submit_proposal(review_pb2.SubmitProposalRequest())):
        assert _status(call)[0] == grpc.StatusCode.PERMISSION_DENIED
    assert _status(lambda: buyer.proposal("no-such-proposal"))[0] == grpc.StatusCode.NOT_FOUND
    assert {p.business_id for p in buyer.proposals()} == {"acme-research"}


def test_register_entries_reach_review_as_events_without_personal_values(review):
    items = {i.item.name: i.item for f in review.client("reviewer").published_files() for i in f.items}
    assert items["個人番号"].role == common_pb2.ITEM_ROLE_IDENTIFICATION_CODE
    raw = review.apps["intake"].runtime.bus.read_all(FILE_REGISTERED)
    events = [events_pb2.EventEnvelope.FromString(v) for v in raw]
    assert {e.key for e in events} >= set(review.files.values()) | {review.hidden_file}
    assert all(e.key == e.file_registered.entry.file_id for e in events)
    assert not any(name.encode() in value for value in raw for name in ("佐藤", "鈴木", "丁目"))


def test_the_business_and_reviewer_commands_walk_a_proposal(review, window, monkeypatch, capsys, tmp_path):
    import re

    import yaml
    from google.protobuf import json_format

    from services.cli import main

    for name, address in review.addresses.items():
        monkeypatch.setenv(f"SAKUSEI_{name.upper()}_ADDRESS", address)

    def sakusei(actor: str, *argv: str) -> str:
        code = main(["--token", actor_token(review.issuer, actor), *argv])
        out, err = capsys.readouterr()
        assert code == 0, err
        return out

    request = scenario.sample_proposal("cli", FILE_KIND, review.files, scenario.SAMPLE_DEGREES)
    attachments = []
    for index, attachment in enumerate(request.attachments):
        (tmp_path / f"doc{index}.pdf").write_bytes(attachment.content)
        entry = json_format.MessageToDict(attachment, preserving_proto_field_name=True)
        entry.pop("content")
        attachments.append({**entry, "path": f"doc{index}.pdf"})
    document = {"client_request_id": "cli-proposal", "attachments": attachments,
                "form": json_format.MessageToDict(request.form, preserving_proto_field_name=True)}
    (tmp_path / "proposal.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")

    submitted = sakusei("business:cli-lab", "business", "propose", str(tmp_path / "proposal.yaml"))
    proposal_id = re.search(r"proposal (\S+) \(cli-lab\): UNDER_REVIEW", submitted)[1]
    assert "item 2: MET" in submitted and "item 4: PENDING" in submitted
    assert proposal_id in sakusei("reviewer", "reviewer", "queue")
    assert "AWAITING_CORRECTION" in sakusei("reviewer", "reviewer", "ask", proposal_id, "--message", "期間の根拠は")
    assert "UNDER_REVIEW" in sakusei("business:cli-lab", "business", "answer", proposal_id, "--answer", "論文化のため")
    decided = sakusei("reviewer", "reviewer", "decide", proposal_id, "--criterion", "4=met:資する",
                      "--criterion", "6=met:適切", "--work-minutes", "60")
    assert "APPROVED" in decided and "fee 24,950 yen" in decided
    sakusei("business:cli-lab", "business", "notice", proposal_id, "--out", str(tmp_path / "notice.html"))
    assert "別記様式第三" in (tmp_path / "notice.html").read_text(encoding="utf-8")
    sakusei("business:cli-lab", "business", "apply", proposal_id)
    review.client("operator").record_fee_payment(proposal_id, 24_950)
    assert "CONTRACTED" in sakusei("business:cli-lab", "business", "status", proposal_id)


def test_the_demo_can_walk_the_approval_path(review):
    contract = scenario.approve_proposal_path(review.client, review.files, "demo-lab", say=lambda _: None,
                                              tag="demo-path")
    assert contract.business_id == "demo-lab" and len(contract.targets) == 3 and contract.fee_yen == 28_900


def test_an_overlong_client_request_id_is_refused(review, window):
    request = scenario.sample_proposal("x" * 81, FILE_KIND, review.files, scenario.SAMPLE_DEGREES)
    code, details = _status(lambda: review.client("business:acme-research").submit_proposal(request))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and details.startswith("client_request_id")


def test_an_answer_with_the_missing_pledge_is_screened_again(review, window):
    buyer, reviewer = review.client("business:forgetful-co"), review.client("reviewer")
    request = scenario.sample_proposal("forgetful", FILE_KIND, review.files, scenario.SAMPLE_DEGREES)
    pledge = request.attachments.pop()
    proposal = buyer.submit_proposal(request)
    assert _outcomes(proposal)[1] == NOT_MET
    reviewer.request_correction(proposal.proposal_id, "誓約書（様式第二）を添付してください")
    revised = review_pb2.ProposalForm()
    revised.CopyFrom(request.form)
    revised.persons_wanted = 1_100
    answered = buyer.answer_correction(review_pb2.AnswerCorrectionRequest(
        proposal_id=proposal.proposal_id, answer="添付します", revised_form=revised, attachments=[pledge]))
    assert _outcomes(answered)[1] == MET and answered.form.persons_wanted == 1_100
    assert answered.corrections[0].form_revised and len(answered.attachments) == 2
    assert _status(lambda: buyer.answer_correction(review_pb2.AnswerCorrectionRequest(
        proposal_id=proposal.proposal_id, answer="again")))[0] == grpc.StatusCode.FAILED_PRECONDITION
