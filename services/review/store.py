"""Review's relational state: contracts, windows, proposals, notices, the disqualification table,
read models fed by other services' events (register entries, open data requests, datasets), and
the outbox. The schema is created and changed only by the migrations in services/review/migrations/.

Proposals and contracts are kept as their protobuf messages, with the columns queries need beside
them; a proposal row carries a version so that two concurrent changes cannot both win.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import (Boolean, Column, Connection, DateTime, Integer, LargeBinary, MetaData, String, Table, Text,
                        UniqueConstraint, func, insert, select, update)

from services.common.errors import FailedPrecondition
from services.common.outbox import outbox_table
from services.review.domain.registers import Item, RegisteredFile
from services.review.domain.screening import Disqualified
from services.review.domain.windows import Window

metadata = MetaData()

contracts = Table(
    "contracts", metadata,
    Column("contract_id", String(36), primary_key=True),
    Column("client_request_id", String(80), nullable=False, unique=True),
    Column("business_id", String(64), nullable=False, index=True),
    Column("concluded_at", DateTime(timezone=True), nullable=False),
    Column("contract", LargeBinary, nullable=False),
)

windows = Table(
    "windows", metadata,
    Column("window_id", String(36), primary_key=True),
    Column("client_request_id", String(80), nullable=False, unique=True),
    Column("fiscal_year", Integer, nullable=False, index=True),
    Column("subject", Text, nullable=False),
    Column("announced_at", DateTime(timezone=True), nullable=False),
    Column("opens_at", DateTime(timezone=True), nullable=False),
    Column("closes_at", DateTime(timezone=True), nullable=False),
)

proposals = Table(
    "proposals", metadata,
    Column("proposal_id", String(36), primary_key=True),
    Column("business_id", String(64), nullable=False, index=True),
    Column("client_request_id", String(80), nullable=False),
    Column("state", String(24), nullable=False, index=True),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("proposal", LargeBinary, nullable=False),
    UniqueConstraint("business_id", "client_request_id", name="uq_proposals_business_request"),
)

notices = Table(
    "notices", metadata,
    Column("notice_id", String(36), primary_key=True),
    Column("proposal_id", String(36), nullable=False, unique=True),
    Column("notice", LargeBinary, nullable=False),
)

disqualifications = Table(
    "disqualifications", metadata,
    Column("disqualification_id", String(36), primary_key=True),
    Column("client_request_id", String(80), nullable=False, unique=True),
    Column("business_id", String(64), nullable=False, index=True),
    Column("kind", String(24), nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("until", DateTime(timezone=True)),
    Column("note", Text, nullable=False),
)

published_files = Table(
    "published_files", metadata,
    Column("file_id", String(36), primary_key=True),
    Column("municipality_code", String(6), nullable=False, index=True),
    Column("file_name", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("items", Text, nullable=False),
    Column("number_of_persons", Integer, nullable=False),
    Column("proposals_invited", Boolean, nullable=False),
)

open_requests = Table(
    "open_requests", metadata,
    Column("request_id", String(36), primary_key=True),
    Column("municipality_code", String(6), nullable=False, index=True),
    Column("is_open", Boolean, nullable=False),
)

datasets = Table(
    "datasets", metadata,
    Column("dataset_id", String(36), primary_key=True),
    Column("contract_id", String(36), nullable=False),
    Column("number_of_persons", Integer, nullable=False),
)

outbox = outbox_table(metadata)


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time here is UTC."""
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


# ---- contracts -----------------------------------------------------------------------------

def find_by_client_request(conn: Connection, client_request_id: str) -> bytes | None:
    row = conn.execute(select(contracts.c.contract).where(contracts.c.client_request_id == client_request_id)).first()
    return row.contract if row else None


def get(conn: Connection, contract_id: str) -> bytes | None:
    row = conn.execute(select(contracts.c.contract).where(contracts.c.contract_id == contract_id)).first()
    return row.contract if row else None


def insert_contract(conn: Connection, contract_id: str, client_request_id: str, business_id: str, concluded_at,
                    serialized: bytes) -> None:
    conn.execute(insert(contracts).values(contract_id=contract_id, client_request_id=client_request_id,
                                          business_id=business_id, concluded_at=concluded_at, contract=serialized))


# ---- windows -------------------------------------------------------------------------------

def _window(row) -> Window:
    return Window(row.window_id, row.subject, utc(row.announced_at), utc(row.opens_at), utc(row.closes_at))


def find_window(conn: Connection, client_request_id: str) -> Window | None:
    row = conn.execute(select(windows).where(windows.c.client_request_id == client_request_id)).first()
    return _window(row) if row else None


def insert_window(conn: Connection, window: Window, client_request_id: str) -> None:
    conn.execute(insert(windows).values(
        window_id=window.window_id, client_request_id=client_request_id, fiscal_year=window.fiscal_year,
        subject=window.subject, announced_at=window.announced_at, opens_at=window.opens_at, closes_at=window.closes_at))


def list_windows(conn: Connection, first_year: int | None = None, last_year: int | None = None) -> list[Window]:
    query = select(windows).order_by(windows.c.opens_at)
    if first_year is not None:
        query = query.where(windows.c.fiscal_year >= first_year, windows.c.fiscal_year <= last_year)
    return [_window(row) for row in conn.execute(query)]


# ---- proposals -----------------------------------------------------------------------------

def find_proposal(conn: Connection, business_id: str, client_request_id: str) -> tuple[bytes, int] | None:
    row = conn.execute(select(proposals.c.proposal, proposals.c.version).where(
        proposals.c.business_id == business_id, proposals.c.client_request_id == client_request_id)).first()
    return (row.proposal, row.version) if row else None


def get_proposal(conn: Connection, proposal_id: str) -> tuple[bytes, int] | None:
    row = conn.execute(select(proposals.c.proposal, proposals.c.version)
                       .where(proposals.c.proposal_id == proposal_id)).first()
    return (row.proposal, row.version) if row else None


def insert_proposal(conn: Connection, proposal_id: str, business_id: str, client_request_id: str, state: str,
                    submitted_at: datetime, serialized: bytes) -> None:
    conn.execute(insert(proposals).values(proposal_id=proposal_id, business_id=business_id,
                                          client_request_id=client_request_id, state=state,
                                          submitted_at=submitted_at, version=1, proposal=serialized))


def update_proposal(conn: Connection, proposal_id: str, version: int, state: str, serialized: bytes) -> None:
    """Writes a changed proposal unless someone else changed it since it was read at `version`."""
    result = conn.execute(update(proposals).where(proposals.c.proposal_id == proposal_id,
                                                  proposals.c.version == version)
                          .values(state=state, version=version + 1, proposal=serialized))
    if result.rowcount != 1:
        raise FailedPrecondition("the proposal was changed meanwhile; read it again")


def list_proposals(conn: Connection, business_id: str | None, state: str | None, limit: int = 500) -> list[bytes]:
    query = select(proposals.c.proposal).order_by(proposals.c.submitted_at, proposals.c.proposal_id).limit(limit)
    if business_id is not None:
        query = query.where(proposals.c.business_id == business_id)
    if state is not None:
        query = query.where(proposals.c.state == state)
    return [row.proposal for row in conn.execute(query)]


# ---- notices -------------------------------------------------------------------------------

def insert_notice(conn: Connection, notice_id: str, proposal_id: str, serialized: bytes) -> None:
    conn.execute(insert(notices).values(notice_id=notice_id, proposal_id=proposal_id, notice=serialized))


def get_notice(conn: Connection, proposal_id: str) -> bytes | None:
    row = conn.execute(select(notices.c.notice).where(notices.c.proposal_id == proposal_id)).first()
    return row.notice if row else None


# ---- disqualifications ---------------------------------------------------------------------

@dataclass(frozen=True)
class DisqualificationRow:
    disqualification_id: str
    business_id: str
    kind: str
    since: datetime
    until: datetime | None
    note: str


def _disqualification(row) -> DisqualificationRow:
    return DisqualificationRow(row.disqualification_id, row.business_id, row.kind, utc(row.since), utc(row.until),
                               row.note)


def find_disqualification(conn: Connection, client_request_id: str) -> DisqualificationRow | None:
    row = conn.execute(select(disqualifications)
                       .where(disqualifications.c.client_request_id == client_request_id)).first()
    return _disqualification(row) if row else None


def insert_disqualification(conn: Connection, **values) -> None:
    conn.execute(insert(disqualifications).values(**values))


def list_disqualifications(conn: Connection, business_id: str | None = None) -> list[DisqualificationRow]:
    query = select(disqualifications).order_by(disqualifications.c.since)
    if business_id is not None:
        query = query.where(disqualifications.c.business_id == business_id)
    return [_disqualification(row) for row in conn.execute(query)]


def disqualified(conn: Connection, business_id: str) -> tuple[Disqualified, ...]:
    rows = list_disqualifications(conn, business_id)
    return tuple(Disqualified(r.business_id, r.kind, r.since, r.until) for r in rows)


# ---- read models ---------------------------------------------------------------------------

def _file(row) -> RegisteredFile:
    items = tuple(Item(*i) for i in json.loads(row.items))
    return RegisteredFile(row.file_id, row.municipality_code, row.file_name, row.purpose, items,
                          row.number_of_persons, bool(row.proposals_invited))


def upsert_file(conn: Connection, entry: RegisteredFile) -> None:
    """The latest register entry for a file wins; replaying an event changes nothing."""
    values = dict(municipality_code=entry.municipality_code, file_name=entry.file_name, purpose=entry.purpose,
                  items=json.dumps([[i.name, i.type, i.role] for i in entry.items], ensure_ascii=False),
                  number_of_persons=entry.number_of_persons, proposals_invited=entry.proposals_invited)
    done = conn.execute(update(published_files).where(published_files.c.file_id == entry.file_id).values(**values))
    if done.rowcount == 0:
        conn.execute(insert(published_files).values(file_id=entry.file_id, **values))


def files_by_id(conn: Connection, file_ids: list[str]) -> dict[str, RegisteredFile]:
    rows = conn.execute(select(published_files).where(published_files.c.file_id.in_(file_ids)))
    return {row.file_id: _file(row) for row in rows}


def invited_files(conn: Connection, municipality_code: str = "") -> list[RegisteredFile]:
    query = select(published_files).where(published_files.c.proposals_invited.is_(True)) \
        .order_by(published_files.c.municipality_code, published_files.c.file_name, published_files.c.file_id)
    if municipality_code:
        query = query.where(published_files.c.municipality_code == municipality_code)
    return [_file(row) for row in conn.execute(query)]


def request_seen(conn: Connection, request_id: str, municipality_code: str, is_open: bool) -> None:
    """Records a data request as issued (open) or answered (closed), in whichever order the events come."""
    known = conn.execute(select(open_requests.c.is_open).where(open_requests.c.request_id == request_id)).first()
    if known is None:
        conn.execute(insert(open_requests).values(request_id=request_id, municipality_code=municipality_code,
                                                  is_open=is_open))
    elif not is_open:
        conn.execute(update(open_requests).where(open_requests.c.request_id == request_id).values(is_open=False))


def open_request_counts(conn: Connection, codes: list[str]) -> dict[str, int]:
    rows = conn.execute(select(open_requests.c.municipality_code, func.count())
                        .where(open_requests.c.is_open.is_(True), open_requests.c.municipality_code.in_(codes))
                        .group_by(open_requests.c.municipality_code))
    return {code: count for code, count in rows}


def add_dataset(conn: Connection, dataset_id: str, contract_id: str, number_of_persons: int) -> None:
    if conn.execute(select(datasets.c.dataset_id).where(datasets.c.dataset_id == dataset_id)).first() is None:
        conn.execute(insert(datasets).values(dataset_id=dataset_id, contract_id=contract_id,
                                             number_of_persons=number_of_persons))


def dataset_exists(conn: Connection, dataset_id: str) -> bool:
    return conn.execute(select(datasets.c.dataset_id).where(datasets.c.dataset_id == dataset_id)).first() is not None
