"""The platform's main job, driven through its gRPC API as its users would drive it:
municipalities register files, an operator records a contract, each municipality answers its
data request with an extract, the organization creates the dataset, the business pulls its
package and reads the dataset out of it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from services.cli import sample
from services.cli.clients import PlatformClient, contract_request
from services.common.bus.base import wait_until
from services.common.pb.sakusei.v1 import common_pb2, review_pb2
from services.delivery.domain import package

MUNICIPALITIES = ("131016", "011002", "271004")  # 千代田区, 札幌市, 大阪市


@dataclass
class ScenarioResult:
    contract_id: str = ""
    dataset_id: str = ""
    rows: int = 0
    items: list[str] = field(default_factory=list)
    sha256: str = ""
    pulled_sha256: str = ""
    pulled_path: Path | None = None  # the package (zip)
    dataset_path: Path | None = None  # its data member, checked against its manifest
    pushed: dict[str, str] = field(default_factory=dict)
    push_trace_ids: dict[str, str] = field(default_factory=dict)
    pull_trace_id: str = ""


def run(client_for: Callable[[str], PlatformClient], workdir: Path, rows_per_file: int = 400,
        municipalities: tuple[str, ...] = MUNICIPALITIES, business: str = "acme-research",
        say: Callable[[str], None] = print, timeout_s: float = 120, tag: str = "demo",
        via_proposal: bool = False, plant: int = 0,
        anonymity: common_pb2.AnonymityTarget | None = None) -> ScenarioResult:
    """With ``via_proposal`` the contract comes from the whole review path (window, proposal,
    screening, approval, application, fee); otherwise an operator records it directly. ``plant``
    rows of each extract hide a My Number or a phone number in their remarks; ``anonymity`` is the
    contract's measure 5 target."""
    result = ScenarioResult()
    files = {}
    for code in municipalities:
        entry = client_for(f"municipality:{code}").register_file(
            sample.register_request(f"{tag}-file-{code}", "国民健康保険被保険者ファイル", rows_per_file))
        files[code] = entry.file_id
        say(f"municipality {code} registered file {entry.file_id} ({len(entry.items)} items)")
    if via_proposal:
        contract = approve_proposal_path(client_for, files, business, say, timeout_s, tag, anonymity)
    else:
        now = datetime.now(timezone.utc)
        contract = client_for("operator").conclude_contract(contract_request(
            f"{tag}-contract", business, "保険料と年齢層の地域比較研究",
            [(code, files[code], list(sample.REQUESTED)) for code in municipalities], now - timedelta(minutes=1),
            now + timedelta(days=365), max_downloads=3, degrees=sample.REQUESTED, anonymity=anonymity))
        say(f"operator concluded contract {contract.contract_id} with {business}")
    result.contract_id = contract.contract_id
    for index, code in enumerate(municipalities):
        municipality = client_for(f"municipality:{code}")
        result.pushed[code] = _answer_request(municipality, code, contract.contract_id, workdir, rows_per_file,
                                              seed=index, timeout_s=timeout_s, plant=plant)
        result.push_trace_ids[code] = municipality.last_trace_id
        say(f"municipality {code} pushed its extract ({rows_per_file} rows, sha256 {result.pushed[code][:12]}…)")
    buyer = client_for(f"business:{business}")
    if not wait_until(lambda: any(d.contract_id == contract.contract_id for d in buyer.datasets()), timeout_s, 0.25):
        raise TimeoutError("the dataset was not registered in time")
    dataset = next(d for d in buyer.datasets() if d.contract_id == contract.contract_id)
    result.dataset_id, result.rows, result.items, result.sha256 = (dataset.dataset_id, dataset.number_of_persons,
                                                                   list(dataset.items), dataset.sha256)
    say(f"dataset {dataset.dataset_id} registered: {dataset.number_of_persons} persons, items {', '.join(dataset.items)}")
    result.pulled_path = workdir / f"{dataset.dataset_id}.zip"
    result.pulled_sha256 = buyer.pull(dataset.dataset_id, result.pulled_path).sha256
    result.pull_trace_id = buyer.last_trace_id
    result.dataset_path = unpack(result.pulled_path)
    say(f"business {business} pulled its package, {result.pulled_path.stat().st_size} bytes, sha256 verified; "
        f"dataset {result.dataset_path.name} matches the manifest")
    return result


def unpack(package_path: Path) -> Path:
    """Writes the package's data member next to it, after checking every member against the manifest."""
    name, data = package.read_data_member(package_path.read_bytes())
    out = package_path.with_name(package_path.stem + Path(name).suffix)
    out.write_bytes(data)
    return out


def _answer_request(municipality: PlatformClient, municipality_code: str, contract_id: str, workdir: Path,
                    rows: int, seed: int, timeout_s: float, plant: int = 0) -> str:
    def find():
        return [r for r in municipality.data_requests(open_only=True) if r.contract_id == contract_id]

    if not wait_until(lambda: bool(find()), timeout_s, 0.1):
        raise TimeoutError("the data request did not reach the municipality in time")
    request = find()[0]
    path = workdir / f"extract-{request.request_id}.csv"
    sample.write_extract(path, rows, seed, municipality=municipality_code, plant=plant)
    municipality.push_extract(request.request_id, path, "utf-8", rows)
    return hashlib.sha256(path.read_bytes()).hexdigest()


SAMPLE_DEGREES = sample.REQUESTED
_SAMPLE_PDF = b"%PDF-1.4\n% synthetic document for trying the platform\n%%EOF\n"


def sample_party(name: str = "株式会社エイクミー研究所") -> review_pb2.Party:
    return review_pb2.Party(kind=review_pb2.PARTY_KIND_COMPANY, name=name, name_kana="かぶしきがいしゃえいくみーけんきゅうじょ",
                            representative="代表取締役 山田一郎", postal_code="100-0001", address="東京都千代田区千代田1-1",
                            contact=review_pb2.ContactPoint(department="データ利活用推進室", person="佐藤花子",
                                                            phone="03-0000-0000", email="data@acme.example"))


def sample_documents(issued: datetime) -> list[review_pb2.Attachment]:
    """A registry certificate issued on `issued` and the Form 2 pledge, as synthetic PDFs."""
    certificate = review_pb2.Attachment(kind=review_pb2.ATTACHMENT_KIND_IDENTITY_DOCUMENT,
                                        content_type="application/pdf", content=_SAMPLE_PDF)
    certificate.issued_on.FromDatetime(issued.astimezone(timezone.utc))
    pledge = review_pb2.Attachment(kind=review_pb2.ATTACHMENT_KIND_PLEDGE, content_type="application/pdf",
                                   content=_SAMPLE_PDF)
    return [certificate, pledge]


def sample_proposal(client_request_id: str, file_kind: str, files: dict[str, str], degrees: dict[str, str],
                    persons_wanted: int = 1_000, days: int = 365,
                    dataset_id: str = "") -> review_pb2.SubmitProposalRequest:
    """A complete Form 1 (or Form 6 when `dataset_id` is given) with its documents attached."""
    now = datetime.now(timezone.utc)
    use = review_pb2.ProposalUse(purpose="保険料と年齢層の地域比較研究", purpose_category="research",
                                 method="年齢層別・地域別の集計と回帰分析", business="地域の保健事業の効果を評価する調査研究")
    use.period_start.FromDatetime(now)
    use.period_end.FromDatetime(now + timedelta(days=days))
    form = review_pb2.ProposalForm(
        proposer=sample_party(), use=use, leak_prevention="専用端末での取扱い、アクセス制御、操作記録の保存、暗号化",
        provision_method=review_pb2.PROVISION_METHOD_DOWNLOAD)
    if dataset_id:
        form.kind, form.dataset_id = review_pb2.PROPOSAL_KIND_REUSE, dataset_id
    else:
        form.kind, form.file_kind, form.persons_wanted = review_pb2.PROPOSAL_KIND_NEW, file_kind, persons_wanted
        form.targets.extend(review_pb2.ProposalTarget(municipality_code=m, file_id=f) for m, f in files.items())
        form.items.extend(review_pb2.ItemDegree(item=i, degree=d) for i, d in degrees.items())
    return review_pb2.SubmitProposalRequest(client_request_id=client_request_id, form=form,
                                            attachments=sample_documents(now - timedelta(days=10)))


def open_window(operator: PlatformClient, tag: str) -> review_pb2.ScheduleWindowResponse:
    """A recruitment window announced yesterday, open from now for 31 days."""
    now = datetime.now(timezone.utc)
    request = review_pb2.ScheduleWindowRequest(client_request_id=f"{tag}-window", subject="国民健康保険被保険者ファイル等の提案募集")
    request.announced_at.FromDatetime(now - timedelta(days=1))
    request.opens_at.FromDatetime(now - timedelta(minutes=1))
    request.closes_at.FromDatetime(now + timedelta(days=31))
    return operator.schedule_window(request)


def approve_proposal_path(client_for: Callable[[str], PlatformClient], files: dict[str, str], business: str,
                          say: Callable[[str], None] = print, timeout_s: float = 60,
                          tag: str = "demo", anonymity: common_pb2.AnonymityTarget | None = None) -> review_pb2.Contract:
    """From a recruitment window to a concluded contract: the business proposes the municipalities'
    files, a reviewer approves, the business applies and an operator records the fee."""
    operator, reviewer, buyer = client_for("operator"), client_for("reviewer"), client_for(f"business:{business}")
    open_window(operator, tag)
    published = lambda: {f.file_id for f in buyer.published_files(item_name="保険料", limit=500)}  # noqa: E731
    if not wait_until(lambda: set(files.values()) <= published(), timeout_s, 0.1):
        raise TimeoutError("the files did not reach the portal in time")
    proposal = buyer.submit_proposal(sample_proposal(f"{tag}-proposal", "国民健康保険被保険者ファイル", files,
                                                     SAMPLE_DEGREES))
    say(f"business {business} proposed {proposal.proposal_id} across {len(files)} municipalities' files")
    reasons = [review_pb2.CriterionDecision(item=4, met=True, reason="地域保健事業の改善に資する"),
               review_pb2.CriterionDecision(item=6, met=True, reason="利用目的・方法・安全管理措置は適切")]
    decision = review_pb2.DecideProposalRequest(proposal_id=proposal.proposal_id, estimated_work_minutes=120,
                                                decisions=reasons, anonymity=anonymity)
    decided = reviewer.decide_proposal(decision)
    if decided.state != review_pb2.PROPOSAL_STATE_APPROVED:
        raise RuntimeError("the sample proposal was not approved")
    say(f"reviewer approved it; fee {decided.fee.total_yen:,} yen (notice {buyer.notice(proposal.proposal_id).form})")
    buyer.apply_for_contract(proposal.proposal_id)
    concluded = operator.record_fee_payment(proposal.proposal_id, decided.fee.total_yen)
    say(f"business applied, operator recorded the fee: contract {concluded.contract_id} concluded")
    return buyer.contract(concluded.contract_id)
