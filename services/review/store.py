"""Review's relational state: contracts and the outbox."""
from __future__ import annotations

from sqlalchemy import Column, Connection, DateTime, LargeBinary, MetaData, String, Table, insert, select

from services.common.outbox import outbox_table

metadata = MetaData()

contracts = Table(
    "contracts", metadata,
    Column("contract_id", String(36), primary_key=True),
    Column("client_request_id", String(80), nullable=False, unique=True),
    Column("business_id", String(64), nullable=False, index=True),
    Column("concluded_at", DateTime(timezone=True), nullable=False),
    Column("contract", LargeBinary, nullable=False),
)

outbox = outbox_table(metadata)


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
