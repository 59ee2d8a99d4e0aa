"""Delivery end to end on embedded defaults: per-recipient packages, resumable pulls, tracing a
leak, expired contracts, provision records, and a recall that deletes every artifact."""
from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections import Counter
from datetime import datetime, timedelta, timezone

import grpc
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.cli import main, scenario
from services.cli.clients import actor_token
from services.common.artifacts import DATASETS
from services.common.bus import new_envelope
from services.common.bus.base import wait_until
from services.common.bus.topics import DATASET_RECALLED
from services.common.pb.sakusei.v1 import delivery_pb2, events_pb2, review_pb2
from services.delivery.domain import package
from services.delivery.domain.fingerprint import layout


def _code(call):
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value.code(), caught.value.details()


def _reuse(platform, business: str, days_from: int = -1, days_to: int = 30) -> str:
    """A reuse contract (Act 44-12) for the scenario's dataset, as review announces it."""
    now = datetime.now(timezone.utc)
    contract = review_pb2.Contract(contract_id=str(uuid.uuid4()), business_id=business, max_downloads=3,
                                   reused_dataset_id=platform.result.dataset_id)
    contract.period_start.FromDatetime(now + timedelta(days=days_from))
    contract.period_end.FromDatetime(now + timedelta(days=days_to))
    platform.apps["delivery"].runtime.bus.publish(new_envelope(events_pb2.ContractConcluded(contract=contract),
                                                               key=contract.contract_id, producer="review"))
    client = platform.client(f"business:{business}")
    assert wait_until(lambda: any(d.dataset_id == platform.result.dataset_id for d in client.datasets()), 30)
    return contract.contract_id


@pytest.fixture(scope="module")
def beta(platform):
    return _reuse(platform, "beta-lab")


@pytest.fixture
def sakusei(platform, monkeypatch, capsys):
    for name, address in platform.addresses.items():
        monkeypatch.setenv(f"SAKUSEI_{name.upper()}_ADDRESS", address)

    def run(actor: str, *argv: str) -> tuple[int, str, str]:
        code = main(["--token", actor_token(platform.issuer, actor), *argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def _table(package_path) -> pa.Table:
    return pq.read_table(scenario.unpack(package_path))


def _counts(table: pa.Table) -> dict[str, Counter]:
    """Each column's counts; a linking-code column's by how often each token occurs (its labels are
    the recipient's own)."""
    shape = layout(table)
    return {name: Counter(Counter(table.column(name).to_pylist()).values()) if name in shape.tokens
            else Counter(table.column(name).to_pylist()) for name in table.column_names}


def _rows(table: pa.Table) -> Counter:
    return Counter(zip(*(table.column(n).to_pylist() for n in table.column_names)))


def test_two_businesses_get_copies_that_differ_only_by_their_fingerprints(platform, beta, tmp_path):
    acme, lab = platform.client("business:acme-research"), platform.client("business:beta-lab")
    pulled = {name: client.pull(platform.result.dataset_id, tmp_path / f"{name}.zip")
              for name, client in (("acme", acme), ("beta", lab))}
    listed = {name: next(d for d in c.datasets() if d.dataset_id == platform.result.dataset_id).sha256
              for name, c in (("acme", acme), ("beta", lab))}
    assert {n: p.sha256 for n, p in pulled.items()} == listed and listed["acme"] != listed["beta"]
    first, second = _table(tmp_path / "acme.zip"), _table(tmp_path / "beta.zip")
    assert first.schema == second.schema and first.num_rows == second.num_rows == platform.result.rows
    assert _counts(first) == _counts(second)
    assert _rows(first) != _rows(second)
    members = [zipfile.ZipFile(tmp_path / f"{n}.zip").read("data_dictionary.json") for n in ("acme", "beta")]
    assert members[0] == members[1]
    terms = zipfile.ZipFile(tmp_path / "beta.zip").read("contract_terms.json").decode()
    assert beta in terms and "secondary distribution" in terms


def test_a_pull_resumes_from_its_offset_without_counting_another_download(platform, beta, tmp_path):
    lab = platform.client("business:beta-lab")
    whole = tmp_path / "whole.zip"
    lab.pull(platform.result.dataset_id, whole)
    data = whole.read_bytes()
    out = tmp_path / "resumed.zip"
    out.with_name(out.name + ".partial").write_bytes(data[:100])
    out.with_name(out.name + ".partial.sha256").write_text(next(
        d.sha256 for d in lab.datasets() if d.dataset_id == platform.result.dataset_id))
    before = platform.client("auditor").provision_records(platform.result.dataset_id)
    lab.pull(platform.result.dataset_id, out)
    assert out.read_bytes() == data
    records = platform.client("auditor").provision_records(platform.result.dataset_id)
    assert len(records) == len(before) + 1 and records[-1].resumed and records[-1].recipient == "beta-lab"
    request = delivery_pb2.PullDatasetRequest(dataset_id=platform.result.dataset_id, offset=len(data) + 1)
    code, details = _code(lambda: list(lab.delivery().PullDataset(request, metadata=lab._md, timeout=30)))
    assert code == grpc.StatusCode.OUT_OF_RANGE and "offset" in details


def test_a_contract_may_take_its_data_as_cp932_csv(platform, tmp_path):
    contract_id = _reuse(platform, "gamma-kk")
    set_to = platform.client("operator").set_delivery_format(contract_id, delivery_pb2.DELIVERY_FORMAT_CSV_CP932)
    assert set_to.format == delivery_pb2.DELIVERY_FORMAT_CSV_CP932
    pulled = platform.client("business:gamma-kk").pull(platform.result.dataset_id, tmp_path / "gamma.zip")
    name, data = package.read_data_member((tmp_path / "gamma.zip").read_bytes())
    rows = list(csv.reader(io.StringIO(data.decode("cp932"))))
    assert name == "dataset.csv" and rows[0] == platform.result.items and len(rows) == platform.result.rows + 1
    assert pulled.sha256 == next(d.sha256 for d in platform.client("business:gamma-kk").datasets())


def test_a_leaked_sample_is_traced_to_its_recipient(platform, beta, tmp_path, sakusei):
    lab = platform.client("business:beta-lab")
    lab.pull(platform.result.dataset_id, tmp_path / "beta.zip")
    copy = _table(tmp_path / "beta.zip").drop_columns(["性別"])
    leaked = copy.take(list(range(0, copy.num_rows, 2))).sort_by([("保険料", "ascending")])
    path = tmp_path / "found-on-a-forum.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(leaked.column_names)
        writer.writerows(zip(*(leaked.column(n).to_pylist() for n in leaked.column_names)))
    result = platform.client("operator").trace_leak(path.read_bytes())
    assert result.recipient == "beta-lab" and result.dataset_id == platform.result.dataset_id
    assert result.confidence > 0.999 and result.scores[0].recipient == "beta-lab"
    code, out, _ = sakusei("operator", "operator", "trace", str(path))
    assert code == 0 and "delivered to beta-lab" in out


@pytest.mark.parametrize("data, words", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "file: "),
    ("氏名,住所\n佐藤,1丁目\n".encode(), "columns"),
    ("生年月日,保険料\n1900-01-01,1\n1900-01-02,2\n".encode(), "rows"),
])
def test_a_file_that_is_not_a_dataset_is_an_invalid_argument(platform, data, words):
    code, details = _code(lambda: platform.client("operator").trace_leak(data))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and words in details
    assert "佐藤" not in details


def test_only_operators_trace(platform):
    code, _ = _code(lambda: platform.client("business:beta-lab").trace_leak(b"a\n1\n"))
    assert code == grpc.StatusCode.PERMISSION_DENIED


def test_an_expired_contract_cannot_pull(platform, tmp_path):
    _reuse(platform, "late-co", days_from=-30, days_to=-1)
    late = platform.client("business:late-co")
    listed = next(d for d in late.datasets() if d.dataset_id == platform.result.dataset_id)
    assert listed.sha256 == ""
    code, details = _code(lambda: late.pull(platform.result.dataset_id, tmp_path / "late.zip"))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "ended" in details


@pytest.mark.parametrize("actor", ["municipality:131016", "reviewer", "business:anyone", "auditor"])
def test_the_register_of_created_datasets_is_open_to_every_actor(platform, actor):
    entry = next(e for e in platform.client(actor).registry() if e.dataset_id == platform.result.dataset_id)
    assert entry.number_of_persons == platform.result.rows and list(entry.items) == platform.result.items
    assert {s.municipality_code for s in entry.sources} == {"131016", "011002"}
    assert entry.processing_summary["number_of_persons"] == str(platform.result.rows)


def test_provision_records_are_for_auditors(platform):
    records = platform.client("auditor").provision_records()
    assert records and all(r.items and r.number_of_persons == platform.result.rows for r in records)
    assert all(r.delete_after.ToDatetime().year == r.provided_at.ToDatetime().year + 3 for r in records)
    code, _ = _code(lambda: platform.client("business:acme-research").provision_records())
    assert code == grpc.StatusCode.PERMISSION_DENIED


def test_a_recall_deletes_every_artifact_blocks_pulls_and_closes_on_the_last_certificate(platform, beta, tmp_path,
                                                                                         sakusei, metric_points):
    dataset_id = platform.result.dataset_id
    artifacts = platform.apps["delivery"].runtime.store
    assert len([k for k in artifacts.list(DATASETS) if dataset_id in k]) >= 3
    code, out, _ = sakusei("operator", "operator", "recall", dataset_id, "--reason", "生年月日が加工されていない")
    assert code == 0 and "CASE_STATE_AWAITING_CERTIFICATES" in out
    assert [k for k in artifacts.list(DATASETS) if dataset_id in k] == []
    code, details = _code(lambda: platform.client("business:acme-research").pull(dataset_id, tmp_path / "x.zip"))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "recalled" in details
    case = platform.client("operator").cases(open_only=True)[-1]
    parties = [d.party for d in case.demands]
    assert set(parties) == {"acme-research", "beta-lab", "gamma-kk"}
    assert len(case.cancelled_contract_ids) >= 3
    for party in parties:
        code, out, _ = sakusei(f"business:{party}", "business", "submit-deletion-certificate", case.case_id,
                               "--statement", "全コピーを消去した")
        assert code == 0
    assert "CASE_STATE_CLOSED" in out
    code, out, _ = sakusei("operator", "operator", "cases")
    assert code == 0 and f"{case.case_id}  CASE_KIND_RECALL  CASE_STATE_CLOSED" in out
    bus = platform.apps["delivery"].runtime.bus

    def recalled() -> list[str]:
        return [events_pb2.EventEnvelope.FromString(v).dataset_recalled.dataset_id
                for v in bus.read_all(DATASET_RECALLED)]
    assert wait_until(lambda: dataset_id in recalled(), 10)
    assert any(p.attributes == {"kind": "recall"} for p in metric_points()["sakusei.cases.open"])
