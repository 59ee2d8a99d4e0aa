"""Notices of the screening result as a person reads them: approval (Form 3; reuse Form 7) with the
fee, how and by when to pay, and the provision method; rejection (Form 5; reuse Form 8) with each
criterion not met and why. Self-contained HTML: no script, no external stylesheet, font or image."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from services.review.domain.fees import Fee
from services.review.domain.screening import Criterion
from services.review.domain.windows import JST

APPROVAL, REJECTION = "APPROVAL", "REJECTION"
PROVISION_LABELS = {
    "DOWNLOAD": "電子的提供（ダウンロード）",
    "CD_R_COUNTER": "CD-R・窓口受領",
    "CD_R_POST": "CD-R・郵送",
    "DVD_R_COUNTER": "DVD-R・窓口受領",
    "DVD_R_POST": "DVD-R・郵送",
}
_STYLE = ("body{font-family:serif;max-width:42em;margin:2em auto;line-height:1.7}"
          "h1{text-align:center;letter-spacing:.5em;font-size:1.4em}.right{text-align:right}"
          "table{border-collapse:collapse}td,th{border:1px solid #444;padding:.2em .6em;text-align:left}")


@dataclass(frozen=True)
class Heading:
    notice_number: str
    issued_at: datetime
    proposer_name: str
    submitted_at: datetime
    organization: str
    reuse: bool


def form_name(kind: str, reuse: bool) -> str:
    if kind == APPROVAL:
        return "別記様式第七" if reuse else "別記様式第三"
    return "別記様式第八" if reuse else "別記様式第五"


def _date(at: datetime) -> str:
    local = at.astimezone(JST)
    return f"{local.year}年{local.month}月{local.day}日"


def _document(heading: Heading, kind: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="ja"><head><meta charset="utf-8">'
            f"<title>審査結果通知書 {escape(heading.notice_number)}</title><style>{_STYLE}</style></head><body>"
            f'<p>{escape(form_name(kind, heading.reuse))}</p>'
            f'<p class="right">第 {escape(heading.notice_number)} 号<br>{_date(heading.issued_at)}</p>'
            f"<h1>審査結果通知書</h1><p>{escape(heading.proposer_name)} 様</p>"
            f'<p class="right">{escape(heading.organization)}</p>{body}</body></html>\n')


def _title(heading: Heading) -> str:
    return ("作成された非識別加工情報をその用に供して行う事業に関する提案書" if heading.reuse
            else "非識別加工情報をその用に供して行う事業に関する提案書")


def approval_html(heading: Heading, fee: Fee, provision_method: str) -> str:
    criteria = "第44条の7第1項第1号及び第4号から第7号まで" if heading.reuse else "第44条の7第1項各号"
    work = f"作業時間 {fee.work_hours} 時間 × {fee.hourly_yen:,} 円"
    rows = [("基本額", fee.base_yen), (work, fee.work_hours * fee.hourly_yen),
            ("委託に要する費用", fee.outsourcing_yen), ("合計", fee.total_yen)]
    table = "".join(f"<tr><th>{escape(name)}</th><td>{amount:,} 円</td></tr>" for name, amount in rows)
    body = (f"<p>{_date(heading.submitted_at)}付け「{_title(heading)}」について、{criteria}に掲げる基準に"
            f"適合すると認めるので、以下の事項を通知します。</p>"
            f"<h2>1. 契約の締結</h2><p>非識別加工情報の利用に関する契約を締結することができます。契約の締結を申し込む場合は、"
            f"下記2. に従って手数料を納付の上、契約の締結の申込書（別記様式第四）を{_date(fee.payment_deadline)}（必着）"
            f"までに提出してください。</p>"
            f"<h2>2. 手数料</h2><p>（1）納付すべき手数料の額</p><table>{table}</table>"
            f"<p>（2）手数料の納付方法：{escape(fee.payment_method)}</p>"
            f"<p>（3）手数料の納付期限：{_date(fee.payment_deadline)}</p>"
            f"<h2>3. 非識別加工情報の提供の方法</h2><p>{escape(PROVISION_LABELS.get(provision_method, provision_method))}</p>"
            f"<h2>4. その他</h2><p>契約では、再識別の禁止、第三者への提供（二次流通）の禁止、安全管理措置、利用期間終了時の削除、"
            f"監査への協力及び漏えい等事案の報告を定めます。</p>")
    return _document(heading, APPROVAL, body)


def rejection_html(heading: Heading, unmet: tuple[Criterion, ...]) -> str:
    numbers = "、".join(f"第{c.item}号" for c in unmet)
    basis = "第44条の12第2項で準用する第44条の7第1項" if heading.reuse else "第44条の7第1項"
    reasons = "".join(f"<li>第{c.item}号：{escape(c.reason)}</li>" for c in unmet)
    body = (f"<p>{_date(heading.submitted_at)}付け「{_title(heading)}」について、以下の理由により、{basis}{numbers}"
            f"の基準に適合しないと認めるので、同条第3項の規定により通知します。</p>"
            f"<h2>提案が基準に適合しないと認める理由</h2><ol>{reasons}</ol>")
    return _document(heading, REJECTION, body)
