"""Intake alone on embedded defaults, driven over gRPC: data requests are watched, answered and
pushed to — resumably, refused with the right status when bad, with nothing stored then."""
from __future__ import annotations

import gzip
import hashlib
import threading
import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from services.cli import main
from services.cli import municipality as municipality_cli
from services.cli import sample
from services.cli.clients import PlatformClient, actor_token
from services.common.artifacts import EXTRACTS
from services.common.artifacts.local import LocalStore
from services.common.bus import new_envelope
from services.common.bus.base import wait_until
from services.common.bus.embedded import EmbeddedBus
from services.common.bus.topics import AUDIT_RECORDED, DATA_REQUEST_ANSWERED
from services.common.config import Settings
from services.common.pb.sakusei.v1 import common_pb2, events_pb2, intake_pb2, review_pb2
from services.common.runtime import Runtime
from services.intake.app import IntakeApp
from services.intake.app_context import IntakeSettings

PART = 64 << 10
OPEN = intake_pb2.DATA_REQUEST_STATE_OPEN
REQUESTED = list(sample.REQUESTED)
NAMES = [name for name, _, _ in sample.ITEMS]


@pytest.fixture(scope="module")
def intake(tmp_path_factory, keys, verifier, issuer):
    root = tmp_path_factory.mktemp("intake")
    store = LocalStore(root / "artifacts")
    store.ensure_buckets()
    runtime = Runtime(Settings(state_dir=root / "state", token_public_key=keys[1]), EmbeddedBus(), store, verifier)
    shift = {"by": timedelta(0)}
    app = IntakeApp(runtime, IntakeSettings(part_size=PART, max_extract_bytes=8 << 20, max_problems=5),
                    clock=lambda: datetime.now(timezone.utc) + shift["by"])
    app.shift = shift
    app.start(host="127.0.0.1", port=0)
    clients: list[PlatformClient] = []

    def client(actor: str) -> PlatformClient:
        clients.append(PlatformClient({"intake": f"127.0.0.1:{app.port}"}, actor_token(issuer, actor)))
        return clients[-1]

    app.client = client
    yield app
    for made in clients:
        made.close()
    app.stop()


def _contract(app, files: dict[str, str], items=tuple(REQUESTED)) -> str:
    """Announces a concluded contract on the bus, as review does."""
    contract = review_pb2.Contract(
        contract_id=str(uuid.uuid4()), business_id="acme-research", purpose="保険料と年齢層の地域比較研究",
        targets=[review_pb2.ContractTarget(municipality_code=code, file_id=file_id, items=items,
                                           degrees={"生年月日": "age_band_5"}) for code, file_id in files.items()],
        conditions=review_pb2.ContractConditions(safety_measures="施錠管理とアクセス記録"))
    event = events_pb2.ContractConcluded(contract=contract)
    app.runtime.bus.publish(new_envelope(event, key=contract.contract_id, producer="review"))
    return contract.contract_id


def _request_for(client: PlatformClient, contract_id: str) -> intake_pb2.DataRequest:
    def mine():
        return [r for r in client.data_requests() if r.contract_id == contract_id]

    assert wait_until(lambda: bool(mine()), 30)
    return mine()[0]


def _file(client: PlatformClient, tag: str) -> str:
    return client.register_file(sample.register_request(f"{tag}-{uuid.uuid4().hex[:8]}", "国保ファイル", 1000)).file_id


def _status(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value.code(), caught.value.details()


def _extract(tmp_path, rows: int, seed: int = 1, encoding: str = "utf-8"):
    path = tmp_path / f"extract-{uuid.uuid4().hex[:6]}.csv"
    sample.write_extract(path, rows, seed, encoding)
    return path


def test_a_watch_sends_open_requests_then_new_ones_and_ends_with_its_deadline(intake):
    chiyoda = intake.client("municipality:131016")
    first = _contract(intake, {"131016": _file(chiyoda, "watch")})
    _request_for(chiyoda, first)
    seen: list[str] = []
    ended: list[grpc.StatusCode] = []

    def watch() -> None:
        try:
            seen.extend(r.contract_id for r in chiyoda.watch_requests(4))
        except grpc.RpcError as error:
            ended.append(error.code())

    watching = threading.Thread(target=watch)
    watching.start()
    assert wait_until(lambda: first in seen, 3)
    second = _contract(intake, {"131016": _file(chiyoda, "watch")})
    assert wait_until(lambda: second in seen, 3)
    other = intake.client("municipality:011002")
    _contract(intake, {"011002": _file(other, "watch")})
    watching.join(10)
    assert not watching.is_alive() and ended == [grpc.StatusCode.DEADLINE_EXCEEDED]
    assert len(seen) == len(set(seen)) and first in seen and second in seen
    assert all(r.municipality_code == "131016" for r in chiyoda.data_requests())


def test_a_request_states_what_is_asked_and_by_when(intake):
    chiyoda = intake.client("municipality:131016")
    request = _request_for(chiyoda, _contract(intake, {"131016": _file(chiyoda, "terms")}))
    assert (request.business_id, list(request.items)) == ("acme-research", REQUESTED)
    assert dict(request.degrees) == {"生年月日": "age_band_5"} and request.management_measures
    issued, deadline = request.issued_at.ToDatetime(), request.deadline.ToDatetime()
    assert deadline - issued == timedelta(days=30)


def test_answers_move_the_request_and_are_announced(intake, tmp_path):
    chiyoda, sapporo = intake.client("municipality:131016"), intake.client("municipality:011002")
    contract = _contract(intake, {"131016": _file(chiyoda, "answer"), "011002": _file(sapporo, "answer")})
    mine, theirs = _request_for(chiyoda, contract), _request_for(sapporo, contract)
    assert _status(lambda: sapporo.answer_request(mine.request_id, True))[0] == grpc.StatusCode.PERMISSION_DENIED
    code, details = _status(lambda: sapporo.answer_request(theirs.request_id, False, " "))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "reason" in details
    assert chiyoda.answer_request(mine.request_id, True).state == intake_pb2.DATA_REQUEST_STATE_ACKNOWLEDGED
    declined = sapporo.answer_request(theirs.request_id, False, "当該ファイルは改製中のため")
    assert declined.state == intake_pb2.DATA_REQUEST_STATE_DECLINED and declined.decline_reason
    assert _status(lambda: chiyoda.answer_request(mine.request_id, False, "x"))[0] == \
        grpc.StatusCode.FAILED_PRECONDITION
    path = _extract(tmp_path, 10)
    assert _status(lambda: sapporo.push_extract(theirs.request_id, path, "utf-8", 10))[0] == \
        grpc.StatusCode.FAILED_PRECONDITION
    assert chiyoda.push_extract(mine.request_id, path, "utf-8", 10).row_count == 10
    answered = [events_pb2.EventEnvelope.FromString(v).data_request_answered.request
                for v in intake.runtime.bus.read_all(DATA_REQUEST_ANSWERED)]
    assert {(a.request_id, a.state) for a in answered} >= {
        (mine.request_id, intake_pb2.DATA_REQUEST_STATE_ACKNOWLEDGED),
        (theirs.request_id, intake_pb2.DATA_REQUEST_STATE_DECLINED)}


def _cut_push(client: PlatformClient, watcher: PlatformClient, request_id: str, path, after_chunks: int) -> str:
    """Starts a resumable push and breaks its connection once the organization holds some parts,
    while the sender is in the middle of the file; returns the upload id."""
    sent, release, state = threading.Event(), threading.Event(), {}

    def progress(done: int) -> None:
        if done >= after_chunks * PART // 4:
            sent.set()
            release.wait(30)

    call = threading.Thread(target=lambda: pytest.raises(
        grpc.RpcError, client.push_resumable, request_id, path, "utf-8", 4000, progress=progress,
        on_state=lambda pushed: state.update(upload_id=pushed.upload_id), chunk_size=PART // 4), daemon=True)
    call.start()
    assert sent.wait(30)
    assert wait_until(lambda: watcher.push_status(state["upload_id"]).offset >= PART, 30)
    client._channels["intake"].close()
    release.set()
    call.join(30)
    return state["upload_id"]


def test_a_push_cut_in_the_middle_resumes_from_the_last_part_held(intake, tmp_path):
    chiyoda = intake.client("municipality:131016")
    request = _request_for(chiyoda, _contract(intake, {"131016": _file(chiyoda, "resume")}))
    path = _extract(tmp_path, 4000)
    upload_id = _cut_push(intake.client("municipality:131016"), chiyoda, request.request_id, path, after_chunks=10)
    assert not [k for k in intake.runtime.store.list(EXTRACTS) if request.request_id in k]
    held = chiyoda.push_status(upload_id)
    assert 0 < held.offset < path.stat().st_size and held.offset % PART == 0
    assert _status(lambda: intake.client("municipality:011002").push_status(upload_id))[0] == grpc.StatusCode.NOT_FOUND
    reply = chiyoda.push_resumable(request.request_id, path, "utf-8", 4000, upload_id=upload_id)
    assert reply.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and reply.row_count == 4000
    key = next(k for k in intake.runtime.store.list(EXTRACTS) if request.request_id in k)
    assert b"".join(intake.runtime.store.read(EXTRACTS, key)) == path.read_bytes()


def test_the_cli_resumes_an_interrupted_push_from_its_state_file(intake, tmp_path, capsys):
    chiyoda = intake.client("municipality:131016")
    request = _request_for(chiyoda, _contract(intake, {"131016": _file(chiyoda, "cli-resume")}))
    path = _extract(tmp_path, 4000)
    state = municipality_cli.ResumeFile(request.request_id, tmp_path / "cache")
    upload_id = _cut_push(intake.client("municipality:131016"), chiyoda, request.request_id, path, after_chunks=6)
    state.save(upload_id, path)
    assert municipality_cli.push(chiyoda, request.request_id, path, "utf-8", 4000, resume=True, gzip=False,
                                 progress=lambda _: None, state=state) == 0
    summary = capsys.readouterr().out
    assert "resumed at byte" in summary and "4000 rows" in summary and path.name in summary
    assert not state.path.exists() and path.name not in state.path.name


def _bad_push(client, request_id, data: bytes, **header):
    values = dict(request_id=request_id, format=common_pb2.EXTRACT_FORMAT_CSV, encoding="utf-8", row_count=2,
                  sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))
    values.update(header)
    messages = [intake_pb2.PushExtractRequest(header=intake_pb2.ExtractHeader(**values)),
                *(intake_pb2.PushExtractRequest(chunk=data[i:i + PART]) for i in range(0, len(data), PART))]
    return _status(lambda: client.intake().PushExtract(iter(messages), metadata=client._md, timeout=30))


BOMB = gzip.compress(b"0" * (4 << 20))


def _csv(*rows: dict[str, str], drop_last: int = 0, encoding: str = "utf-8") -> bytes:
    """The sample file's header, then rows of plausible values with the changes given."""
    lines = [",".join(NAMES)]
    for change in rows:
        values = ["100" if kind == common_pb2.ITEM_TYPE_INTEGER else "佐藤" for _, kind, _ in sample.ITEMS]
        values = [change.get(name, value) for name, value in zip(NAMES, values)]
        lines.append(",".join(values[:len(values) - drop_last]))
    return ("\n".join(lines) + "\n").encode(encoding)


@pytest.mark.parametrize("data, header, code, named", [
    (_csv({}), {"sha256": "0" * 64, "row_count": 1}, "DATA_LOSS", ["nothing was stored"]),
    (_csv({"保険料": "abc"}) + _csv({}, drop_last=1).partition(b"\n")[2], {}, "INVALID_ARGUMENT",
     ["row 1, column 保険料: not an integer", f"row 2: {len(NAMES) - 1} columns, {len(NAMES)} expected"]),
    (_csv(encoding="cp932") + b"\x82\xff" + b",1" * (len(NAMES) - 1) + b"\n", {"encoding": "cp932", "row_count": 1},
     "INVALID_ARGUMENT", ["line 2: not valid cp932"]),
    ("氏名,性別\n佐藤,1\n".encode(), {"row_count": 1}, "INVALID_ARGUMENT", ["column 生年月日: requested but missing"]),
    (BOMB, {"gzip": True, "size_bytes": 1 << 20, "sha256": "0" * 64}, "RESOURCE_EXHAUSTED", ["expands beyond"]),
    (b"x" * 10, {"size_bytes": 9 << 20}, "RESOURCE_EXHAUSTED", ["limit"]),
])
def test_a_bad_push_is_refused_naming_what_is_wrong_and_stores_nothing(intake, data, header, code, named):
    chiyoda = intake.client("municipality:131016")
    request = _request_for(chiyoda, _contract(intake, {"131016": _file(chiyoda, "bad")}))
    status, details = _bad_push(chiyoda, request.request_id, data, **header)
    assert status.name == code and all(fragment in details for fragment in named), details
    assert "佐藤" not in details and "abc" not in details
    assert not [k for k in intake.runtime.store.list(EXTRACTS) if request.request_id in k]
    assert not list((intake.runtime.store.root / EXTRACTS / "incoming").iterdir())
    assert chiyoda.data_request(request.request_id).request.state == OPEN

    def refusals() -> set[tuple[str, str]]:
        audits = [events_pb2.EventEnvelope.FromString(v).audit_recorded
                  for v in intake.runtime.bus.read_all(AUDIT_RECORDED)]
        return {(a.object_id, a.outcome) for a in audits if a.action == "push_extract"}

    assert wait_until(lambda: (request.request_id, code) in refusals(), 10)


def test_a_gzip_push_is_stored_as_the_csv_it_holds(intake, tmp_path):
    chiyoda = intake.client("municipality:131016")
    request = _request_for(chiyoda, _contract(intake, {"131016": _file(chiyoda, "gzip")}))
    plain = _extract(tmp_path, 3000)
    packed = tmp_path / "extract.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    reply = chiyoda.push_resumable(request.request_id, packed, "utf-8", 3000, gzip=True)
    assert (reply.size_bytes, reply.sha256) == (plain.stat().st_size, hashlib.sha256(plain.read_bytes()).hexdigest())


def test_receipt_records_are_for_auditors_and_match_what_arrived(intake, tmp_path):
    chiyoda = intake.client("municipality:131016")
    request = _request_for(chiyoda, _contract(intake, {"131016": _file(chiyoda, "receipt")}))
    reply = chiyoda.push_extract(request.request_id, _extract(tmp_path, 25), "utf-8", 25)
    assert _status(lambda: chiyoda.receipt_records())[0] == grpc.StatusCode.PERMISSION_DENIED
    records = intake.client("auditor").receipt_records("131016")
    record = next(r for r in records if r.extract_id == reply.extract_id)
    assert (record.request_id, record.number_of_persons) == (request.request_id, 25)
    assert list(record.items) == NAMES
    assert record.delete_after.ToDatetime() - record.received_at.ToDatetime() >= timedelta(days=3 * 365)

    def audited() -> set[str]:
        return {events_pb2.EventEnvelope.FromString(v).audit_recorded.action
                for v in intake.runtime.bus.read_all(AUDIT_RECORDED)}

    assert wait_until(lambda: {"push_extract", "record_receipt", "list_receipt_records"} <= audited(), 10)


def test_prepare_keeps_the_requested_items_and_the_linking_code_only(intake, tmp_path, capsys):
    chiyoda = intake.client("municipality:131016")
    items = [common_pb2.RecordItem(name=name, type=kind, role=role) for name, kind, role in (
        ("宛名番号", common_pb2.ITEM_TYPE_CODE, common_pb2.ITEM_ROLE_LINKING_CODE),
        ("氏名", common_pb2.ITEM_TYPE_TEXT, common_pb2.ITEM_ROLE_IDENTIFIER),
        ("性別", common_pb2.ITEM_TYPE_CODE, common_pb2.ITEM_ROLE_QUASI_IDENTIFIER),
        ("保険料", common_pb2.ITEM_TYPE_INTEGER, common_pb2.ITEM_ROLE_OTHER))]
    entry = chiyoda.register_file(intake_pb2.RegisterFileRequest(
        client_request_id=uuid.uuid4().hex, file_name="国保", purpose="資格管理", items=items, number_of_persons=10))
    request = _request_for(chiyoda, _contract(intake, {"131016": entry.file_id}, items=["性別", "保険料"]))
    source = tmp_path / "source.csv"
    source.write_text("宛名番号,氏名,性別,保険料,備考\nA1,佐藤,1,100,メモ\n", encoding="cp932")
    out = tmp_path / "prepared.csv"
    assert municipality_cli.prepare(chiyoda, request.request_id, source, out, "cp932") == 0
    assert out.read_text(encoding="utf-8") == "宛名番号,性別,保険料\nA1,1,100\n"
    assert "1 rows" in capsys.readouterr().out
    assert chiyoda.push_extract(request.request_id, out, "utf-8", 1).row_count == 1


def test_a_request_past_its_deadline_takes_no_push(intake, tmp_path):
    chiyoda = intake.client("municipality:131016")
    request = _request_for(chiyoda, _contract(intake, {"131016": _file(chiyoda, "late")}))
    intake.shift["by"] = timedelta(days=31)
    try:
        code, details = _status(lambda: chiyoda.push_extract(request.request_id, _extract(tmp_path, 3), "utf-8", 3))
    finally:
        intake.shift["by"] = timedelta(0)
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "deadline" in details


def test_uploads_lost_to_a_restart_are_aborted_and_pushed_again_from_the_start(intake, tmp_path):
    chiyoda = intake.client("municipality:131016")
    incoming = intake.runtime.store.root / EXTRACTS / "incoming"
    requests = [_request_for(chiyoda, _contract(intake, {"131016": _file(chiyoda, "restart")})) for _ in range(2)]
    path = _extract(tmp_path, 4000)
    lost = [_cut_push(intake.client("municipality:131016"), chiyoda, r.request_id, path, after_chunks=10)
            for r in requests]
    for upload_id in lost:
        intake.servicer.pushes.uploads.get(upload_id).close()
        intake.servicer.pushes.uploads.remove(upload_id)
    assert len(list(incoming.iterdir())) == 2
    assert _status(lambda: chiyoda.push_status(lost[0]))[0] == grpc.StatusCode.NOT_FOUND
    assert intake.sweeper.sweep() == (0, 1) and not list(incoming.iterdir())
    state = municipality_cli.ResumeFile(requests[0].request_id, tmp_path / "cache")
    state.save(lost[0], path)
    assert municipality_cli.push(chiyoda, requests[0].request_id, path, "utf-8", 4000, resume=True, gzip=False,
                                 progress=lambda _: None, state=state) == 0


def test_the_municipality_commands_as_typed(intake, issuer, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SAKUSEI_INTAKE_ADDRESS", f"127.0.0.1:{intake.port}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    token = ["--token", actor_token(issuer, "municipality:131016")]
    chiyoda = intake.client("municipality:131016")
    first, second = (_request_for(chiyoda, _contract(intake, {"131016": _file(chiyoda, "typed")})) for _ in range(2))
    source, prepared = _extract(tmp_path, 300), tmp_path / "prepared.csv"

    assert main([*token, "municipality", "watch", "--seconds", "1"]) == 0
    assert first.request_id in capsys.readouterr().out
    assert main([*token, "municipality", "acknowledge", first.request_id]) == 0
    assert main([*token, "municipality", "prepare", first.request_id, str(source), "--out", str(prepared)]) == 0
    assert "300 rows" in capsys.readouterr().out
    assert main([*token, "municipality", "push", first.request_id, str(prepared), "--rows", "300", "--resume"]) == 0
    out = capsys.readouterr().out
    assert "300 rows" in out and "verified by the organization" in out
    assert main([*token, "municipality", "decline", second.request_id, "--reason", "改製中"]) == 0
    assert "declined" in capsys.readouterr().out
    assert main([*token, "municipality", "push", second.request_id, str(prepared), "--rows", "300"]) == 1
    assert "FAILED_PRECONDITION" in capsys.readouterr().err
    assert not list((tmp_path / "cache").rglob("*.json"))
