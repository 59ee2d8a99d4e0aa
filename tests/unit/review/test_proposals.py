from dataclasses import replace

import pytest

from services.common.errors import FailedPrecondition, InvalidArgument, ResourceExhausted
from services.review.domain import proposals as p
from services.review.domain.registers import RegisteredFile, matches
from tests.unit.review.test_screening import COMPANY, FILES, FORM, ITEMS, USE

CATEGORIES = ("research", "statistics")


def test_a_complete_form_is_valid():
    p.validate_form(FORM, CATEGORIES)
    p.check_targets(FORM, FILES)


@pytest.mark.parametrize("change, field", [
    ({"kind": ""}, "form.kind"),
    ({"proposer": replace(COMPANY, name=" ")}, "form.proposer.name"),
    ({"proposer": replace(COMPANY, representative="")}, "form.proposer.representative"),
    ({"proposer": replace(COMPANY, postal_code="1000")}, "form.proposer.postal_code"),
    ({"proposer": replace(COMPANY, contact=replace(COMPANY.contact, email="nope"))}, "form.proposer.contact.email"),
    ({"proposer": replace(COMPANY, contact=replace(COMPANY.contact, phone="x"))}, "form.proposer.contact.phone"),
    ({"proxy": replace(COMPANY, address="")}, "form.proxy.address"),
    ({"use": replace(USE, purpose_category="marketing")}, "form.use.purpose_category"),
    ({"use": replace(USE, period_start=None)}, "form.use.period_start"),
    ({"use": replace(USE, period_end=USE.period_start)}, "form.use.period_end"),
    ({"leak_prevention": ""}, "form.leak_prevention"),
    ({"provision_method": ""}, "form.provision_method"),
    ({"file_kind": ""}, "form.file_kind"),
    ({"targets": ()}, "form.targets"),
    ({"targets": (p.Target("131017", "f0"),)}, "form.targets[0].municipality_code"),
    ({"targets": (p.Target("131016", "f0"), p.Target("131016", "f9"))}, "form.targets[1].municipality_code"),
    ({"items": ()}, "form.items"),
    ({"items": (("性別", ""),)}, "form.items[0].degree"),
    ({"items": (("性別", "as_is"), ("性別", "as_is"))}, "form.items[1].item"),
    ({"persons_wanted": 0}, "form.persons_wanted"),
    ({"dataset_id": "d1"}, "form.dataset_id"),
    ({"kind": p.REUSE, "dataset_id": ""}, "form.dataset_id"),
    ({"kind": p.REUSE, "dataset_id": "d1"}, "form.targets"),
])
def test_a_bad_form_names_its_field(change, field):
    with pytest.raises(InvalidArgument) as caught:
        p.validate_form(replace(FORM, **change), CATEGORIES)
    assert caught.value.field == field
    assert "株式会社" not in str(caught.value)


@pytest.mark.parametrize("files, reason", [
    ({}, "no published file"),
    ({**FILES, "f0": replace(FILES["f0"], municipality_code="011002")}, "no published file"),
    ({**FILES, "f0": replace(FILES["f0"], proposals_invited=False)}, "does not invite proposals"),
    ({**FILES, "f0": replace(FILES["f0"], file_name="介護ファイル")}, "not a file of the kind"),
])
def test_targets_are_published_files_of_the_named_kind(files, reason):
    with pytest.raises(InvalidArgument) as caught:
        p.check_targets(FORM, files)
    assert caught.value.field == "form.targets[0].file_id" and reason in str(caught.value)


@pytest.mark.parametrize("uploads, proxy, error, field", [
    ([p.Upload("PLEDGE", "application/pdf", 10, "proposer")], False, None, ""),
    ([p.Upload("", "application/pdf", 10, "proposer")], False, InvalidArgument, "attachments[0].kind"),
    ([p.Upload("PLEDGE", "text/html", 10, "proposer")], False, InvalidArgument, "attachments[0].content_type"),
    ([p.Upload("PLEDGE", "image/png", 0, "proposer")], False, InvalidArgument, "attachments[0].content"),
    ([p.Upload("PLEDGE", "image/png", 10, "proxy")], False, InvalidArgument, "attachments[0].holder"),
    ([p.Upload("PLEDGE", "image/png", 10, "proxy")], True, None, ""),
    ([p.Upload("PLEDGE", "image/png", p.MAX_DOCUMENT_BYTES + 1, "proposer")], False, ResourceExhausted, ""),
    ([p.Upload("OTHER", "image/png", p.MAX_DOCUMENT_BYTES, "proposer")] * 4, False, ResourceExhausted, ""),
])
def test_documents(uploads, proxy, error, field):
    if error is None:
        p.validate_uploads(uploads, proxy)
        return
    with pytest.raises(error) as caught:
        p.validate_uploads(uploads, proxy)
    assert str(caught.value).startswith(field or "attachments")


@pytest.mark.parametrize("state, allowed", [(p.UNDER_REVIEW, True), (p.AWAITING_CORRECTION, False),
                                            (p.APPROVED, False), (p.REJECTED, False), (p.CONTRACTED, False)])
def test_a_decision_only_while_under_review(state, allowed):
    if allowed:
        p.require_state(state, (p.UNDER_REVIEW,), "decide")
    else:
        with pytest.raises(FailedPrecondition):
            p.require_state(state, (p.UNDER_REVIEW,), "decide")


ENTRY = RegisteredFile("f", "131016", "国民健康保険被保険者ファイル", "資格及び給付の管理", ITEMS, 10, True)


@pytest.mark.parametrize("kind, item, listed", [
    ("", "", True), ("国民健康保険", "", True), ("給付 国民健康保険", "", True), ("介護", "", False),
    ("", "生年", True), ("", "職業", False),
])
def test_the_portal_search(kind, item, listed):
    assert matches(ENTRY, kind, item) is listed


def test_the_portal_never_lists_a_file_not_inviting_proposals():
    assert not matches(replace(ENTRY, proposals_invited=False), "", "")
