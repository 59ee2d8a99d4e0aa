"""Intake's relational state: register entries, data requests, received extracts, open uploads,
receipt records, outbox."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import (BigInteger, Column, Connection, DateTime, Engine, Integer, LargeBinary, MetaData, String, Table, Text,
                        UniqueConstraint, delete, insert, inspect, select, text, update)
from sqlalchemy.schema import CreateColumn

from services.common.outbox import outbox_table
from services.intake.domain import AWAITING_EXTRACT, Item, RegisterEntry

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
    Column("degrees", Text, nullable=False, server_default="{}"),
    Column("anonymity", LargeBinary, nullable=False, server_default=""),  # serialized AnonymityTarget
    Column("state", String(16), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("extract_id", String(36)),
    Column("management_measures", Text, nullable=False, server_default=""),
    Column("deadline", DateTime(timezone=True)),
    Column("decline_reason", Text, nullable=False, server_default=""),
    Column("answered_at", DateTime(timezone=True)),
)

extracts = Table(
    "extracts", metadata,
    Column("extract_id", String(36), primary_key=True),
    Column("request_id", String(36), nullable=False, unique=True),
    Column("bucket", String(64), nullable=False),
    Column("object_key", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("encoding", String(16), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

# A resumable push in progress: enough to abort its parts in the store if it is never finished
# (its checksum state lives only in the process that received its parts; see uploads.py).
uploads = Table(
    "uploads", metadata,
    Column("upload_id", String(36), primary_key=True),
    Column("request_id", String(36), nullable=False, index=True),
    Column("municipality_code", String(6), nullable=False),
    Column("bucket", String(64), nullable=False),
    Column("object_key", Text, nullable=False),
    Column("store_upload_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The record of receiving personal data from a third party: no data in it; kept 3 years.
receipts = Table(
    "receipt_records", metadata,
    Column("receipt_id", String(36), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
    Column("municipality_code", String(6), nullable=False, index=True),
    Column("request_id", String(36), nullable=False),
    Column("contract_id", String(36), nullable=False),
    Column("extract_id", String(36), nullable=False),
    Column("items", Text, nullable=False),
    Column("number_of_persons", Integer, nullable=False),
)

outbox = outbox_table(metadata)


def upgrade(engine: Engine) -> None:
    """Creates missing tables and adds the columns added since a state directory was made. Intake's
    schema changes are additive only, so this is all its migration needs."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            present = {column["name"] for column in inspect(conn).get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    definition = CreateColumn(column).compile(dialect=engine.dialect)
                    conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {definition}"))


def utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


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
    conn.execute(insert(requests).values(state="OPEN", items=json.dumps(values.pop("items"), ensure_ascii=False),
                                         degrees=json.dumps(values.pop("degrees"), ensure_ascii=False), **values))
    return True


def list_requests(conn: Connection, municipality: str, open_only: bool):
    query = select(requests).where(requests.c.municipality_code == municipality)
    if open_only:
        query = query.where(requests.c.state.in_(AWAITING_EXTRACT))
    return conn.execute(query.order_by(requests.c.issued_at, requests.c.request_id)).all()


def answer_request(conn: Connection, request_id: str, state: str, reason: str, at: datetime) -> bool:
    """Records a municipality's answer to an open request; False if it was answered meanwhile."""
    result = conn.execute(update(requests).where(requests.c.request_id == request_id, requests.c.state == "OPEN")
                          .values(state=state, decline_reason=reason, answered_at=at))
    return result.rowcount == 1


def fulfil_request(conn: Connection, request_id: str, extract_id: str) -> bool:
    """Marks a request awaiting its extract fulfilled; False if another push got there first."""
    result = conn.execute(update(requests).where(requests.c.request_id == request_id,
                                                 requests.c.state.in_(AWAITING_EXTRACT))
                          .values(state="FULFILLED", extract_id=extract_id))
    return result.rowcount == 1


def insert_extract(conn: Connection, **values) -> None:
    conn.execute(insert(extracts).values(**values))


def contract_progress(conn: Connection, contract_id: str) -> list[tuple[str, str]]:
    rows = conn.execute(select(requests.c.request_id, requests.c.extract_id)
                        .where(requests.c.contract_id == contract_id).order_by(requests.c.request_id)).all()
    return [(r.request_id, r.extract_id or "") for r in rows]


def insert_upload(conn: Connection, **values) -> None:
    conn.execute(insert(uploads).values(**values))


def get_upload(conn: Connection, upload_id: str):
    return conn.execute(select(uploads).where(uploads.c.upload_id == upload_id)).first()


def list_uploads(conn: Connection):
    return conn.execute(select(uploads)).all()


def delete_upload(conn: Connection, upload_id: str) -> None:
    conn.execute(delete(uploads).where(uploads.c.upload_id == upload_id))


def insert_receipt(conn: Connection, items: list[str], **values) -> None:
    conn.execute(insert(receipts).values(items=json.dumps(items, ensure_ascii=False), **values))


def list_receipts(conn: Connection, municipality: str = ""):
    query = select(receipts)
    if municipality:
        query = query.where(receipts.c.municipality_code == municipality)
    return conn.execute(query.order_by(receipts.c.received_at, receipts.c.receipt_id)).all()


def receipts_received_before(conn: Connection, moment: datetime) -> list[str]:
    rows = conn.execute(select(receipts.c.receipt_id).where(receipts.c.received_at <= moment)).all()
    return [r.receipt_id for r in rows]


def delete_receipt(conn: Connection, receipt_id: str) -> None:
    conn.execute(delete(receipts).where(receipts.c.receipt_id == receipt_id))
