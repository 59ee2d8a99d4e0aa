"""What a municipality does with the `sakusei municipality` commands beyond listing: prepare an
extract from its source file (一定の加工), answer and watch requests, push resumably."""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import grpc

from services.cli.clients import PlatformClient
from services.common.pb.sakusei.v1 import intake_pb2
from services.intake.messages import item_from_proto
from services.intake.preliminary import OUTPUT_ENCODING, prepare_file

_REQUEST_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
RESUMABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED,
             grpc.StatusCode.FAILED_PRECONDITION)


def prepare(client: PlatformClient, request_id: str, source: Path, out: Path, encoding: str) -> int:
    """Keeps the requested items and the linking code of ``source``; nothing is sent."""
    reply = client.data_request(request_id)
    items = [item_from_proto(i) for i in reply.file.items]
    prepared = prepare_file(source, out, encoding, items, list(reply.request.items))
    dropped = len(items) - len(prepared.columns)
    print(f"prepared {out} ({OUTPUT_ENCODING}): {prepared.rows} rows; kept {', '.join(prepared.columns)}; "
          f"{dropped} registered item(s) dropped")
    print(f"push it with: sakusei municipality push {request_id} {out} --rows {prepared.rows} --encoding utf-8")
    return 0


class ResumeFile:
    """Where a resumable push stands, kept under the user's cache directory, named by the request
    id (never by a file name). The file's size and mtime tell whether it is still the same file."""

    def __init__(self, request_id: str, directory: Path | None = None):
        if not _REQUEST_ID.match(request_id):
            raise SystemExit("sakusei: a request id is a UUID")
        base = directory or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sakusei" / "pushes"
        self.path = base / f"{request_id}.json"

    def load(self, extract: Path) -> str:
        """The upload id to resume, or "" when there is none for this very file."""
        if not self.path.is_file():
            return ""
        saved = json.loads(self.path.read_text())
        return saved["upload_id"] if saved.get("fingerprint") == _fingerprint(extract) else ""

    def save(self, upload_id: str, extract: Path) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path.write_text(json.dumps({"upload_id": upload_id, "fingerprint": _fingerprint(extract)}))

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def _fingerprint(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]


def push(client: PlatformClient, request_id: str, extract: Path, encoding: str, rows: int, resume: bool,
         gzip: bool, progress, state: ResumeFile | None = None) -> int:
    """Pushes resumably; an interrupted push keeps its state so that ``--resume`` continues it."""
    state = state or ResumeFile(request_id)
    upload_id = state.load(extract) if resume else ""
    started = {}

    def remember(pushed: intake_pb2.PushState) -> None:
        started.update(offset=pushed.offset)
        state.save(pushed.upload_id, extract)

    try:
        reply = client.push_resumable(request_id, extract, encoding, rows, upload_id=upload_id, gzip=gzip,
                                      progress=progress, on_state=remember)
    except grpc.RpcError as error:
        if upload_id and error.code() == grpc.StatusCode.NOT_FOUND:
            print("the organization no longer holds that upload; starting again", file=sys.stderr)
            state.clear()
            return push(client, request_id, extract, encoding, rows, False, gzip, progress, state)
        if error.code() in RESUMABLE and started:
            print(f"\npush interrupted ({error.code().name}); run the same command with --resume to continue",
                  file=sys.stderr)
        else:
            state.clear()
        raise
    state.clear()
    resumed = f" (resumed at byte {started['offset']})" if started.get("offset") else ""
    print(f"pushed {extract} for request {request_id}{resumed}: {reply.row_count} rows, {reply.size_bytes} bytes; "
          f"extract {reply.extract_id}; sha256 {reply.sha256} verified by the organization")
    return 0


def answer(client: PlatformClient, request_id: str, acknowledge: bool, reason: str) -> int:
    answered = client.answer_request(request_id, acknowledge, reason)
    state = intake_pb2.DataRequestState.Name(answered.state).removeprefix("DATA_REQUEST_STATE_").lower()
    print(f"request {request_id} is now {state}")
    return 0


def watch(client: PlatformClient, seconds: float) -> int:
    """Prints each open request as it arrives, one line each, until ``seconds`` have passed."""
    try:
        for request in client.watch_requests(seconds):
            deadline = request.deadline.ToDatetime().date().isoformat() if request.HasField("deadline") else "-"
            print(f"{request.request_id}  contract {request.contract_id}  business {request.business_id}  "
                  f"items {', '.join(request.items)}  deadline {deadline}", flush=True)
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
            raise
    return 0
