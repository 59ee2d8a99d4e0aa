"""Screening criteria of Act 44-7(1) as given/then tables."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import InvalidArgument
from services.review.domain import proposals as p
from services.review.domain import screening as s
from services.review.domain.registers import Item, RegisteredFile

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
ITEMS = (Item("氏名", "TEXT", "IDENTIFIER"), Item("住所", "TEXT", "IDENTIFIER"),
         Item("個人番号", "CODE", "IDENTIFICATION_CODE"), Item("生年月日", "DATE", "QUASI_IDENTIFIER"),
         Item("性別", "CODE", "QUASI_IDENTIFIER"), Item("保険料", "INTEGER", "OTHER"))
FILES = {f"f{i}": RegisteredFile(f"f{i}", code, "国保ファイル", "資格管理", ITEMS, 400, True)
         for i, code in enumerate(("131016", "011002", "271004"))}
CONTACT = p.Contact("推進室", "担当", "03-0000-0000", "a@example.jp")
COMPANY = p.Party(p.COMPANY, "株式会社A", "", "代表 A", "100-0001", "東京都", CONTACT)
PERSON = p.Party(p.INDIVIDUAL, "個人B", "", "", "100-0001", "東京都", CONTACT)
USE = p.Use("研究", "research", "集計", "調査", NOW, NOW + timedelta(days=365))
FORM = p.Form(p.NEW, COMPANY, None, "国保ファイル",
              tuple(p.Target(f.municipality_code, f.file_id) for f in FILES.values()),
              (("生年月日", "age_band_5"), ("性別", "as_is"), ("住所", "prefecture")), 1_000, USE, "措置",
              "DOWNLOAD", "")
DOCS = (p.Document(p.IDENTITY_DOCUMENT, issued_on=NOW - timedelta(days=30)), p.Document(p.PLEDGE))
FACTS = s.Facts(FILES, (), {})
POLICY = s.ScreeningPolicy()


def _screen(form=FORM, docs=DOCS, facts=FACTS, business="acme"):
    return {c.item: c for c in s.screen(business, form, docs, facts, POLICY, NOW)}


def test_a_complete_proposal_passes_every_automated_item_and_waits_for_the_reviewer():
    results = _screen()
    assert {i: c.outcome for i, c in results.items()} == {1: s.MET, 2: s.MET, 3: s.MET, 4: s.PENDING, 5: s.MET,
                                                          6: s.PENDING, 7: s.MET}


CANCELLED = s.Disqualified("acme", s.CONTRACT_CANCELLED, NOW - timedelta(days=700))


@pytest.mark.parametrize("given_form, given_docs, disqualified, reason", [
    (FORM, DOCS, (CANCELLED,), "cancelled within the last 2 years"),
    (FORM, DOCS, (s.Disqualified("acme", s.STATUTORY, NOW - timedelta(days=9000)),), "disqualified under Act 44-6"),
    (FORM, DOCS[:1], (), "pledge"),
    (FORM, DOCS[1:], (), "no identity document of the proposer"),
    (FORM, (p.Document(p.IDENTITY_DOCUMENT, issued_on=NOW - timedelta(days=200)), p.Document(p.PLEDGE)), (),
     "within the 6 months"),
    (replace(FORM, proxy=PERSON), DOCS, (), "no identity document of the proxy"),
    (replace(FORM, proxy=PERSON), (p.Document(p.IDENTITY_DOCUMENT, "proxy"), p.Document(p.PLEDGE)), (),
     "no power of attorney"),
])
def test_item_1_not_met(given_form, given_docs, disqualified, reason):
    result = _screen(given_form, given_docs, s.Facts(FILES, disqualified, {}))[1]
    assert result.outcome == s.NOT_MET and reason in result.reason


@pytest.mark.parametrize("given_form, given_docs, disqualified", [
    (FORM, DOCS, (replace(CANCELLED, since=NOW - timedelta(days=731)),)),  # more than 2 years ago
    (FORM, DOCS, (replace(CANCELLED, business_id="other"),)),
    (FORM, DOCS, (s.Disqualified("acme", s.STATUTORY, NOW - timedelta(days=90), NOW - timedelta(days=1)),)),
    (replace(FORM, proposer=PERSON), (p.Document(p.IDENTITY_DOCUMENT), p.Document(p.PLEDGE)), ()),
    (replace(FORM, proxy=PERSON), (p.Document(p.IDENTITY_DOCUMENT, "proxy"), p.Document(p.PLEDGE),
                                   p.Document(p.POWER_OF_ATTORNEY)), ()),
])
def test_item_1_met(given_form, given_docs, disqualified):
    assert _screen(given_form, given_docs, s.Facts(FILES, disqualified, {}))[1].outcome == s.MET


@pytest.mark.parametrize("wanted, persons_per_file, outcome, reason", [
    (1_000, 400, s.MET, ""),
    (1_200, 400, s.MET, ""),
    (999, 400, s.NOT_MET, "at least 1,000 are required"),
    (1_000, 300, s.NOT_MET, "hold 900 persons in all"),
    (1_500, 400, s.NOT_MET, "hold 1,200 persons in all, fewer than 1,500"),
])
def test_item_2_persons(wanted, persons_per_file, outcome, reason):
    files = {k: replace(v, number_of_persons=persons_per_file) for k, v in FILES.items()}
    result = _screen(replace(FORM, persons_wanted=wanted), facts=s.Facts(files, (), {}))[2]
    assert result.outcome == outcome and reason in result.reason


@pytest.mark.parametrize("items, outcome, reason", [
    ((("生年月日", "age"), ("保険料", "top_code_100000")), s.MET, ""),
    ((("個人番号", "as_is"),), s.NOT_MET, "個人番号 is an individual identification code"),
    ((("氏名", "as_is"),), s.NOT_MET, "degree as_is is not offered for item 氏名"),
    ((("生年月日", "prefecture"),), s.NOT_MET, "offered: as_is, age, age_band_<N>"),
    ((("職業", "as_is"),), s.NOT_MET, "職業 is not in the register of 131016, 011002, 271004"),
])
def test_item_3_items_and_degrees(items, outcome, reason):
    result = _screen(replace(FORM, items=items))[3]
    assert result.outcome == outcome and reason in result.reason


def test_item_3_names_the_municipality_whose_register_lacks_an_item():
    files = dict(FILES, f1=replace(FILES["f1"], items=ITEMS[:-1]))
    result = _screen(replace(FORM, items=(("保険料", "as_is"),)), facts=s.Facts(files, (), {}))[3]
    assert result.outcome == s.NOT_MET and result.reason == "item 保険料 is not in the register of 011002"


@pytest.mark.parametrize("category, days, outcome", [
    ("research", 1830, s.MET), ("research", 1831, s.NOT_MET), ("statistics", 1098, s.MET),
    ("statistics", 1099, s.NOT_MET),
])
def test_item_5_period_within_what_the_purpose_allows(category, days, outcome):
    use = replace(USE, purpose_category=category, period_end=NOW + timedelta(days=days))
    assert _screen(replace(FORM, use=use))[5].outcome == outcome


@pytest.mark.parametrize("open_requests, outcome", [({}, s.MET), ({"131016": 4}, s.MET),
                                                     ({"131016": 5}, s.NOT_MET), ({"999999": 9}, s.MET)])
def test_item_7_capacity_of_the_municipalities(open_requests, outcome):
    result = _screen(facts=s.Facts(FILES, (), open_requests))[7]
    assert result.outcome == outcome
    if outcome == s.NOT_MET:
        assert "131016 already has 5 open data requests; its capacity is 5" in result.reason


def test_a_reuse_proposal_is_screened_on_items_1_and_4_to_7_only():
    reuse = replace(FORM, kind=p.REUSE, targets=(), items=(), persons_wanted=0, dataset_id="d1")
    assert sorted(_screen(reuse)) == [1, 4, 5, 6, 7]


PENDING = s.screen("acme", FORM, DOCS, FACTS, POLICY, NOW)


@pytest.mark.parametrize("decisions, approved", [
    ((s.Decision(4, True, "資する"), s.Decision(6, True, "適切")), True),
    ((s.Decision(4, False, "資さない"), s.Decision(6, True, "適切")), False),
])
def test_the_reviewer_decides_items_4_and_6(decisions, approved):
    decided = s.decide(PENDING, decisions, "reviewer")
    assert s.approved(decided) is approved
    assert {c.item: c.decided_by for c in decided}[4] == "reviewer"
    assert [c.item for c in s.unmet(decided)] == ([] if approved else [4])


@pytest.mark.parametrize("decisions, field", [
    ((s.Decision(4, True, "理由"),), "decisions"),
    ((s.Decision(4, True, "理由"), s.Decision(6, True, " ")), "decisions[1].reason"),
    ((s.Decision(2, True, "理由"),), "decisions[0].item"),
])
def test_reviewer_decisions_need_both_items_with_reasons(decisions, field):
    with pytest.raises(InvalidArgument) as caught:
        s.decide(PENDING, decisions, "reviewer")
    assert caught.value.field == field
