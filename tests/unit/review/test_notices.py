import re
from datetime import datetime, timezone

import pytest

from services.review.domain import notices
from services.review.domain.fees import FeeSchedule, quote
from services.review.domain.screening import NOT_MET, Criterion

AT = datetime(2026, 6, 30, 16, 0, tzinfo=timezone.utc)  # 1 July in Japan
HEADING = notices.Heading("a1b2c3d4", AT, "株式会社<A>&B", AT, "作成組織", reuse=False)
FEE = quote(FeeSchedule(), 90, 10_000, AT)


def test_an_approval_states_the_fee_how_and_by_when_to_pay_and_the_provision_method():
    html = notices.approval_html(HEADING, FEE, "CD_R_POST")
    assert "別記様式第三" in html and "2026年7月1日" in html
    assert "38,900 円" in html and "作業時間 2 時間 × 3,950 円" in html and "2026年7月31日" in html
    assert FEE.payment_method in html and "CD-R・郵送" in html and "別記様式第四" in html


def test_a_rejection_names_each_unmet_item_and_why():
    unmet = (Criterion(2, NOT_MET, "the 2 selected files hold 600 persons in all, fewer than 1,000"),
             Criterion(3, NOT_MET, "item 個人番号 is an individual identification code"))
    html = notices.rejection_html(HEADING, unmet)
    assert "別記様式第五" in html and "第2号、第3号" in html
    assert "<li>第2号：the 2 selected files hold 600 persons" in html and "個人番号" in html


@pytest.mark.parametrize("kind, reuse, form", [(notices.APPROVAL, False, "別記様式第三"),
                                               (notices.REJECTION, False, "別記様式第五"),
                                               (notices.APPROVAL, True, "別記様式第七"),
                                               (notices.REJECTION, True, "別記様式第八")])
def test_form_names(kind, reuse, form):
    assert notices.form_name(kind, reuse) == form


@pytest.mark.parametrize("html", [notices.approval_html(HEADING, FEE, "DOWNLOAD"),
                                  notices.rejection_html(HEADING, (Criterion(4, NOT_MET, "<b>理由</b>"),))])
def test_notices_are_self_contained_and_escaped(html):
    assert "株式会社&lt;A&gt;&amp;B" in html and "<b>" not in html
    assert not re.search(r"<script|<link|<img|src=|href=|url\(|@import", html)
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html
