"""Every bad request gets the status code that says what went wrong, and nothing half-done."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import grpc
import pyarrow.parquet as pq
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.cli import sample
from services.cli.clients import PlatformClient, contract_request
from services.common.artifacts import EXTRACTS
from services.common.bus.base import wait_until
from services.common.bus.topics import AUDIT_RECORDED
from services.common.pb.sakusei.v1 import common_pb2, events_pb2, intake_pb2


def _code(call) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value.code(), caught.value.details()


def test_a_call_without_a_valid_token_is_unauthenticated(platform):
    anonymous = PlatformClient(platform.addresses, token="")
    forged = PlatformClient(platform.addresses, token="e30.AAAA")
    assert _code(lambda: anonymous.datasets())[0] == grpc.StatusCode.UNAUTHENTICATED
    assert _code(lambda: forged.datasets())[0] == grpc.StatusCode.UNAUTHENTICATED


def test_a_caller_in_the_wrong_role_is_denied(platform):
    business = platform.client("business:acme-research")
    request = sample.register_request("x", "file", 10)
    assert _code(lambda: business.register_file(request))[0] == grpc.StatusCode.PERMISSION_DENIED


def test_a_missing_field_is_named(platform):
    municipality = platform.client("municipality:131016")
    code, details = _code(lambda: municipality.register_file(sample.register_request("", "file", 10)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "client_request_id" in details


def test_registering_again_with_the_same_client_request_id_returns_the_same_entry(platform):
    municipality = platform.client("municipality:131016")
    first = municipality.register_file(sample.register_request("again", "介護保険ファイル", 10))
    second = municipality.register_file(sample.register_request("again", "介護保険ファイル", 10))
    assert first.file_id == second.file_id


def _push(client, header, chunks):
    messages = [intake_pb2.PushExtractRequest(header=header)] + [intake_pb2.PushExtractRequest(chunk=c) for c in chunks]
    return client.intake().PushExtract(iter(messages), metadata=client._md, timeout=30)


def _header(request_id, data, **change):
    values = dict(request_id=request_id, format=common_pb2.EXTRACT_FORMAT_CSV, encoding="utf-8", row_count=1,
                  sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))
    return intake_pb2.ExtractHeader(**{**values, **change})


def test_push_refusals(platform, tmp_path):
    municipality = platform.client("municipality:131016")
    other = platform.client("municipality:011002")
    fulfilled = municipality.data_requests()[0].request_id
    data = b"a\n1\n"
    header_first = lambda: municipality.intake().PushExtract(  # noqa: E731
        iter([intake_pb2.PushExtractRequest(chunk=data)]), metadata=municipality._md, timeout=30)
    cases = [
        (header_first, grpc.StatusCode.INVALID_ARGUMENT),
        (lambda: _push(municipality, _header("no-such-request", data), [data]), grpc.StatusCode.NOT_FOUND),
        (lambda: _push(other, _header(fulfilled, data), [data]), grpc.StatusCode.PERMISSION_DENIED),
        (lambda: _push(municipality, _header(fulfilled, data), [data]), grpc.StatusCode.FAILED_PRECONDITION),
        (lambda: _push(municipality, _header(fulfilled, data, encoding="latin-1"), [data]),
         grpc.StatusCode.INVALID_ARGUMENT),
    ]
    for call, expected in cases:
        assert _code(call)[0] == expected


def test_a_corrupt_push_is_data_loss_and_stores_nothing(platform, tmp_path):
    municipality = platform.client("municipality:131016")
    operator = platform.client("operator")
    entry = municipality.register_file(sample.register_request("corrupt-file", "児童手当ファイル", 10))
    now = datetime.now(timezone.utc)
    contract = operator.conclude_contract(contract_request("corrupt-contract", "acme-research", "研究",
                                                           [("131016", entry.file_id, ["性別"])], now,
                                                           now + timedelta(days=1), 1))
    assert wait_until(lambda: any(r.contract_id == contract.contract_id for r in municipality.data_requests()), 30)
    request = next(r for r in municipality.data_requests() if r.contract_id == contract.contract_id)
    data = "性別\n1\n".encode()
    code, details = _code(lambda: _push(municipality, _header(request.request_id, data, sha256="0" * 64), [data]))
    assert code == grpc.StatusCode.DATA_LOSS and "nothing was stored" in details
    store = platform.apps["intake"].runtime.store
    assert not [k for k in store.list(EXTRACTS) if request.request_id in k]
    assert municipality.data_requests(open_only=True)[-1].request_id == request.request_id


def test_pull_refusals(platform):
    dataset_id = platform.result.dataset_id
    stranger = platform.client("business:someone-else")
    assert _code(lambda: list(stranger.pull(dataset_id, platform.result.pulled_path.with_suffix(".x"))))[0] == \
        grpc.StatusCode.PERMISSION_DENIED
    buyer = platform.client("business:acme-research")
    assert _code(lambda: buyer.pull("no-such-dataset", platform.result.pulled_path.with_suffix(".y")))[0] == \
        grpc.StatusCode.NOT_FOUND
    assert not platform.result.pulled_path.with_suffix(".x").exists()


def test_downloads_stop_at_the_contracted_number(platform, tmp_path):
    buyer = platform.client("business:acme-research")
    buyer.pull(platform.result.dataset_id, tmp_path / "second.parquet")
    buyer.pull(platform.result.dataset_id, tmp_path / "third.parquet")
    code, details = _code(lambda: buyer.pull(platform.result.dataset_id, tmp_path / "fourth.parquet"))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "downloads" in details
    assert not (tmp_path / "fourth.parquet").exists()


def test_state_changes_and_pulls_leave_audit_records_without_data(platform):
    bus = platform.apps["intake"].runtime.bus
    records = [events_pb2.EventEnvelope.FromString(v).audit_recorded for v in bus.read_all(AUDIT_RECORDED)]
    actions = {(r.action, r.outcome) for r in records}
    for expected in [("register_file", "ok"), ("conclude_contract", "ok"), ("issue_data_request", "ok"),
                     ("push_extract", "ok"), ("create_dataset", "ok"), ("register_dataset", "ok"),
                     ("pull_dataset", "ok"), ("pull_dataset", "PermissionDenied")]:
        assert expected in actions
    pulls = [r for r in records if r.action == "pull_dataset" and r.outcome == "ok"]
    assert pulls[0].actor == "business:acme-research" and pulls[0].object_id == platform.result.dataset_id
    text = b"".join(bus.read_all(AUDIT_RECORDED)).decode("utf-8", "replace")
    assert not any(name in text for name in ("佐藤", "鈴木", "丁目"))


@pytest.mark.parametrize("service", ["intake", "review", "transform", "delivery"])
def test_every_service_answers_health_checks(platform, service):
    channel = grpc.insecure_channel(platform.addresses[service])
    reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_the_delivered_dataset_is_the_stored_one_without_identifiers(platform):
    result = platform.result
    assert result.pulled_sha256 == result.sha256
    table = pq.read_table(result.dataset_path)
    assert table.column_names == list(sample.REQUESTED) and table.num_rows == 100 == result.rows


def test_the_path_is_measured(platform, metric_points):
    denied = platform.client("business:acme-research")
    _code(lambda: denied.register_file(sample.register_request("m", "file", 10)))
    points = metric_points()
    received = sum(p.value for p in points["sakusei.extracts.received"])
    assert received >= 2
    assert sum(p.value for p in points["sakusei.rows.processed"]) >= 100
    assert any(p.attributes == {"outcome": "succeeded"} for p in points["sakusei.jobs.finished"])
    assert any(p.attributes["outcome"] == "ok" for p in points["sakusei.pulls"])
    durations = {(p.attributes["rpc.method"], p.attributes["rpc.status"]): p.count
                 for p in points["sakusei.rpc.duration"]}
    assert durations[("IntakeServicer.PushExtract", "OK")] >= 2
    assert any(status == "PERMISSION_DENIED" for _, status in durations)
