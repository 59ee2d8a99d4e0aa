"""Intake's relational state: register entries, data requests, received extracts, outbox."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import (Column, Connection, DateTime, Integer, MetaData, String, Table, Text, UniqueConstraint,
                        insert, select, update)

from services.common.outbox import outbox_table
from services.intake.domain import Item, RegisterEntry

metadata = MetaData()

files = Table(
    "files", metadata,
    Column("file_id", String(36), primary_key=True),
    Column("client_request_id", String(80), nullable=False),
    Column("municipality_code", String(6), nullable=False, index=True),
    Column("file_name", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("items", Text, nullable=False),
    Column("number_of_persons", Integer, nullable=False),
    Column("proposals_invited", Integer, nullable=False),
    UniqueConstraint("municipality_code", "client_request_id"),
)

requests = Table(
    "data_requests", metadata,
    Column("request_id", String(36), primary_key=True),
    Column("contract_id", String(36), nullable=False, index=True),
    Column("municipality_code", String(6), nullable=False, index=True),
    Column("file_id", String(36), nullable=False),
    Column("business_id", String(64), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("items", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("extract_id", String(36)),
)

extracts = Table(
    "extracts", metadata,
    Column("extract_id", String(36), primary_key=True),
    Column("request_id", String(36), nullable=False, unique=True),
    Column("bucket", String(64), nullable=False),
    Column("object_key", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("encoding", String(16), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

outbox = outbox_table(metadata)


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    entry: RegisterEntry


def _items_json(items: tuple[Item, ...]) -> str:
    return json.dumps([[i.name, i.type, i.role] for i in items], ensure_ascii=False)


def _file_from_row(row) -> StoredFile:
    items = tuple(Item(*i) for i in json.loads(row.items))
    entry = RegisterEntry(row.municipality_code, row.file_name, row.purpose, items, row.number_of_persons,
                          bool(row.proposals_invited))
    return StoredFile(row.file_id, entry)


def find_file_by_client_request(conn: Connection, municipality: str, client_request_id: str) -> StoredFile | None:
    row = conn.execute(select(files).where(files.c.municipality_code == municipality,
                                           files.c.client_request_id == client_request_id)).first()
    return _file_from_row(row) if row else None


def get_file(conn: Connection, file_id: str) -> StoredFile | None:
    row = conn.execute(select(files).where(files.c.file_id == file_id)).first()
    return _file_from_row(row) if row else None


def insert_file(conn: Connection, file_id: str, client_request_id: str, entry: RegisterEntry) -> None:
    conn.execute(insert(files).values(
        file_id=file_id, client_request_id=client_request_id, municipality_code=entry.municipality_code,
        file_name=entry.file_name, purpose=entry.purpose, items=_items_json(entry.items),
        number_of_persons=entry.number_of_persons, proposals_invited=int(entry.proposals_invited)))


def get_request(conn: Connection, request_id: str):
    return conn.execute(select(requests).where(requests.c.request_id == request_id)).first()


def insert_request_if_new(conn: Connection, **values) -> bool:
    if get_request(conn, values["request_id"]) is not None:
        return False
    conn.execute(insert(requests).values(state="OPEN", issued_at=datetime.now(timezone.utc),
                                         items=json.dumps(values.pop("items"), ensure_ascii=False), **values))
    return True


def list_requests(conn: Connection, municipality: str, open_only: bool):
    query = select(requests).where(requests.c.municipality_code == municipality)
    if open_only:
        query = query.where(requests.c.state == "OPEN")
    return conn.execute(query.order_by(requests.c.issued_at, requests.c.request_id)).all()


def fulfil_request(conn: Connection, request_id: str, extract_id: str) -> bool:
    """Marks an open request fulfilled; False if another push got there first."""
    result = conn.execute(update(requests).where(requests.c.request_id == request_id, requests.c.state == "OPEN")
                          .values(state="FULFILLED", extract_id=extract_id))
    return result.rowcount == 1


def insert_extract(conn: Connection, **values) -> None:
    conn.execute(insert(extracts).values(received_at=datetime.now(timezone.utc), **values))


def contract_progress(conn: Connection, contract_id: str) -> list[tuple[str, str]]:
    rows = conn.execute(select(requests.c.request_id, requests.c.extract_id)
                        .where(requests.c.contract_id == contract_id).order_by(requests.c.request_id)).all()
    return [(r.request_id, r.extract_id or "") for r in rows]
