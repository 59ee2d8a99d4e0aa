"""Transform's relational state: extracts announced so far, creation jobs, outbox."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import Column, Connection, DateTime, Integer, MetaData, String, Table, Text, insert, select, update

from services.common.outbox import outbox_table
from services.common.pb.sakusei.v1 import events_pb2

metadata = MetaData()

extracts = Table(
    "extracts", metadata,
    Column("extract_id", String(36), primary_key=True),
    Column("contract_id", String(36), nullable=False, index=True),
    Column("event", Text, nullable=False),
)

jobs = Table(
    "jobs", metadata,
    Column("contract_id", String(36), primary_key=True),
    Column("dataset_id", String(36), nullable=False, unique=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("rows_in", Integer, nullable=False, default=0),
    Column("rows_out", Integer, nullable=False, default=0),
    Column("deleted_columns", Text, nullable=False, default="[]"),
    Column("failure_reason", Text, nullable=False, default=""),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
)

outbox = outbox_table(metadata)


def remember_extract(conn: Connection, event: events_pb2.ExtractReceived) -> None:
    exists = conn.execute(select(extracts.c.extract_id).where(extracts.c.extract_id == event.extract_id)).first()
    if exists is None:
        conn.execute(insert(extracts).values(extract_id=event.extract_id, contract_id=event.contract_id,
                                             event=event.SerializeToString().hex()))


def extract_events(conn: Connection, extract_ids: list[str]) -> list[events_pb2.ExtractReceived]:
    rows = conn.execute(select(extracts.c.extract_id, extracts.c.event)
                        .where(extracts.c.extract_id.in_(extract_ids))).all()
    found = {r.extract_id: events_pb2.ExtractReceived.FromString(bytes.fromhex(r.event)) for r in rows}
    return [found[i] for i in extract_ids if i in found]


def get_job(conn: Connection, contract_id: str):
    return conn.execute(select(jobs).where(jobs.c.contract_id == contract_id)).first()


def start_job(conn: Connection, contract_id: str, dataset_id: str) -> None:
    now = datetime.now(timezone.utc)
    job = get_job(conn, contract_id)
    if job is None:
        conn.execute(insert(jobs).values(contract_id=contract_id, dataset_id=dataset_id, state="RUNNING",
                                         attempts=1, started_at=now))
    else:
        conn.execute(update(jobs).where(jobs.c.contract_id == contract_id)
                     .values(state="RUNNING", attempts=job.attempts + 1, started_at=now, failure_reason=""))


def finish_job(conn: Connection, contract_id: str, state: str, *, rows_in: int = 0, rows_out: int = 0,
               deleted_columns: list[str] = (), failure_reason: str = "") -> None:
    conn.execute(update(jobs).where(jobs.c.contract_id == contract_id).values(
        state=state, rows_in=rows_in, rows_out=rows_out, deleted_columns=json.dumps(list(deleted_columns)),
        failure_reason=failure_reason, finished_at=datetime.now(timezone.utc)))
