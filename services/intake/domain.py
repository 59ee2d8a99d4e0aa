"""Intake rules over plain data: what makes a register entry, a request, an answer and a push
header valid, and how long receipt records are kept."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common.codes import is_municipality_code
from services.common.errors import FailedPrecondition, InvalidArgument, PermissionDenied, ResourceExhausted

ENCODINGS = ("utf-8", "utf-8-sig", "cp932")
ROLES = ("IDENTIFIER", "IDENTIFICATION_CODE", "LINKING_CODE", "QUASI_IDENTIFIER", "SENSITIVE", "OTHER")
TYPES = ("TEXT", "INTEGER", "DECIMAL", "DATE", "CODE")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_REQUEST_NAMESPACE = uuid.UUID("5d0f3c36-1d7a-4f2b-9a49-6a3f1f0b7c11")
DEFAULT_MAX_EXTRACT_BYTES = 4 << 30
DEFAULT_REQUEST_DAYS = 30
DEFAULT_MAX_PROBLEMS = 20
RECEIPT_RETENTION = timedelta(days=3 * 365 + 1)  # 3 years, a leap day included
AWAITING_EXTRACT = ("OPEN", "ACKNOWLEDGED")


@dataclass(frozen=True)
class Item:
    name: str
    type: str
    role: str


@dataclass(frozen=True)
class RegisterEntry:
    municipality_code: str
    file_name: str
    purpose: str
    items: tuple[Item, ...]
    number_of_persons: int
    proposals_invited: bool


def validate_entry(entry: RegisterEntry) -> None:
    if not is_municipality_code(entry.municipality_code):
        raise InvalidArgument("municipality_code", "not a valid local government code")
    if not entry.file_name.strip():
        raise InvalidArgument("file_name", "must not be empty")
    if not entry.items:
        raise InvalidArgument("items", "a file has at least one record item")
    names = [item.name for item in entry.items]
    for index, item in enumerate(entry.items):
        if not item.name.strip():
            raise InvalidArgument(f"items[{index}].name", "must not be empty")
        if item.role not in ROLES:
            raise InvalidArgument(f"items[{index}].role", "must be set")
        if item.type not in TYPES:
            raise InvalidArgument(f"items[{index}].type", "must be set")
        if names.count(item.name) > 1:
            raise InvalidArgument(f"items[{index}].name", "appears more than once")
    if entry.number_of_persons < 0:
        raise InvalidArgument("number_of_persons", "must not be negative")


def request_id_for(contract_id: str, municipality_code: str, file_id: str) -> str:
    """One request per (contract, municipality, file), the same id however often it is issued."""
    return str(uuid.uuid5(_REQUEST_NAMESPACE, f"{contract_id}/{municipality_code}/{file_id}"))


def deadline_for(issued_at: datetime, days: int = DEFAULT_REQUEST_DAYS) -> datetime:
    """By when a municipality is asked to provide its extract."""
    return issued_at + timedelta(days=days)


def answer_request(state: str, answer: str, reason: str) -> str:
    """The state a request moves to when its municipality answers; only an open request is answered."""
    if answer not in ("ACKNOWLEDGE", "DECLINE"):
        raise InvalidArgument("answer", "must be ACKNOWLEDGE or DECLINE")
    if answer == "DECLINE" and not reason.strip():
        raise InvalidArgument("reason", "a decline states its reason")
    if len(reason) > 2000:
        raise InvalidArgument("reason", "at most 2000 characters")
    if state != "OPEN":
        raise FailedPrecondition(f"this data request is {state.lower()}, only an open one can be answered")
    return "ACKNOWLEDGED" if answer == "ACKNOWLEDGE" else "DECLINED"


def receipt_cutoff(now: datetime) -> datetime:
    """Receipt records received at or before this moment have been kept 3 years: they go."""
    return now - RECEIPT_RETENTION


def receipt_expired(received_at: datetime, now: datetime) -> bool:
    return received_at <= receipt_cutoff(now)


@dataclass(frozen=True)
class PushHeader:
    request_id: str
    encoding: str
    row_count: int
    sha256: str
    size_bytes: int
    gzip: bool = False


def validate_header(header: PushHeader, max_bytes: int) -> None:
    if not header.request_id:
        raise InvalidArgument("header.request_id", "must be set")
    if header.encoding not in ENCODINGS:
        raise InvalidArgument("header.encoding", f"must be one of {', '.join(ENCODINGS)}")
    if header.row_count < 0:
        raise InvalidArgument("header.row_count", "must not be negative")
    if not _SHA256.match(header.sha256):
        raise InvalidArgument("header.sha256", "must be 64 lowercase hex digits")
    if header.size_bytes <= 0:
        raise InvalidArgument("header.size_bytes", "must be positive")
    if header.size_bytes > max_bytes:
        raise ResourceExhausted(f"header.size_bytes: over the limit of {max_bytes} bytes per extract")


def check_push_allowed(request_municipality: str, request_state: str, caller_municipality: str,
                       deadline: datetime | None = None, now: datetime | None = None) -> None:
    """A municipality pushes only for its own requests, only while they await an extract, and
    not after their deadline."""
    if request_municipality != caller_municipality:
        raise PermissionDenied("this data request is addressed to another municipality")
    if request_state not in AWAITING_EXTRACT:
        raise FailedPrecondition(f"this data request is {request_state.lower()}, not open")
    if deadline is not None and now is not None and now > deadline:
        raise FailedPrecondition("this data request is past its deadline")
