"""Delivery's relational state: contracts, the dataset registry, outbox."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import (Column, Connection, DateTime, Integer, LargeBinary, MetaData, String, Table, Text, insert,
                        select, update)

from services.common.outbox import outbox_table
from services.common.pb.sakusei.v1 import events_pb2, review_pb2
from services.delivery.domain import ContractTerms

metadata = MetaData()

contracts = Table(
    "contracts", metadata,
    Column("contract_id", String(36), primary_key=True),
    Column("business_id", String(64), nullable=False, index=True),
    Column("period_start", DateTime(timezone=True), nullable=False),
    Column("period_end", DateTime(timezone=True), nullable=False),
    Column("max_downloads", Integer, nullable=False),
    Column("downloads", Integer, nullable=False, default=0),
)

datasets = Table(
    "datasets", metadata,
    Column("dataset_id", String(36), primary_key=True),
    Column("contract_id", String(36), nullable=False, index=True),
    Column("created", LargeBinary, nullable=False),
    Column("trace_context", Text, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

outbox = outbox_table(metadata)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def add_contract(conn: Connection, contract: review_pb2.Contract) -> bool:
    if conn.execute(select(contracts.c.contract_id).where(contracts.c.contract_id == contract.contract_id)).first():
        return False
    conn.execute(insert(contracts).values(
        contract_id=contract.contract_id, business_id=contract.business_id,
        period_start=contract.period_start.ToDatetime(timezone.utc),
        period_end=contract.period_end.ToDatetime(timezone.utc), max_downloads=contract.max_downloads, downloads=0))
    return True


def contract_terms(conn: Connection, contract_id: str) -> ContractTerms | None:
    row = conn.execute(select(contracts).where(contracts.c.contract_id == contract_id)).first()
    if row is None:
        return None
    return ContractTerms(row.contract_id, row.business_id, _utc(row.period_start), _utc(row.period_end),
                         row.max_downloads, row.downloads)


def count_download(conn: Connection, contract_id: str, seen: int) -> bool:
    """Counts a download unless another pull counted it first (optimistic check)."""
    result = conn.execute(update(contracts).where(contracts.c.contract_id == contract_id,
                                                  contracts.c.downloads == seen).values(downloads=seen + 1))
    return result.rowcount == 1


def register_dataset(conn: Connection, created: events_pb2.DatasetCreated, trace_context: dict[str, str]) -> bool:
    if conn.execute(select(datasets.c.dataset_id).where(datasets.c.dataset_id == created.dataset_id)).first():
        return False
    conn.execute(insert(datasets).values(dataset_id=created.dataset_id, contract_id=created.contract_id,
                                         created=created.SerializeToString(), trace_context=json.dumps(trace_context),
                                         registered_at=datetime.now(timezone.utc)))
    return True


def get_dataset(conn: Connection, dataset_id: str):
    return conn.execute(select(datasets).where(datasets.c.dataset_id == dataset_id)).first()


def list_datasets(conn: Connection, business_id: str | None):
    query = select(datasets).order_by(datasets.c.registered_at)
    if business_id is not None:
        query = query.join(contracts, contracts.c.contract_id == datasets.c.contract_id) \
            .where(contracts.c.business_id == business_id)
    return conn.execute(query).all()
