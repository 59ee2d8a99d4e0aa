"""Delivery's relational state: contracts, the dataset registry, packages, provision records, cases, outbox."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import (Boolean, Column, Connection, DateTime, Engine, Integer, LargeBinary, MetaData, String, Table,
                        Text, delete, insert, inspect, or_, select, text, update)

from services.common.outbox import outbox_table
from services.common.pb.sakusei.v1 import events_pb2, review_pb2
from services.delivery.domain import cases as case_rules
from services.delivery.domain.contracts import ACTIVE, ContractTerms
from services.delivery.domain.provision import ProvisionRecord, delete_after

metadata = MetaData()

contracts = Table(
    "contracts", metadata,
    Column("contract_id", String(36), primary_key=True),
    Column("business_id", String(64), nullable=False, index=True),
    Column("period_start", DateTime(timezone=True), nullable=False),
    Column("period_end", DateTime(timezone=True), nullable=False),
    Column("max_downloads", Integer, nullable=False),
    Column("downloads", Integer, nullable=False, default=0),
    Column("status", String(16), nullable=False, server_default=ACTIVE),
    Column("reused_dataset_id", String(36), nullable=False, server_default=""),
    Column("format", String(16), nullable=False, server_default="parquet"),
)

datasets = Table(
    "datasets", metadata,
    Column("dataset_id", String(36), primary_key=True),
    Column("contract_id", String(36), nullable=False, index=True),
    Column("created", LargeBinary, nullable=False),
    Column("trace_context", Text, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("recalled", Boolean, nullable=False, server_default=text("false")),
)

packages = Table(
    "packages", metadata,
    Column("package_id", String(36), primary_key=True),
    Column("dataset_id", String(36), nullable=False, index=True),
    Column("contract_id", String(36), nullable=False, index=True),
    Column("recipient", String(64), nullable=False),
    Column("format", String(16), nullable=False),
    Column("bucket", String(64), nullable=False),
    Column("key", String(256), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("built_at", DateTime(timezone=True), nullable=False),
)

provision_records = Table(
    "provision_records", metadata,
    Column("record_id", String(36), primary_key=True),
    Column("provided_at", DateTime(timezone=True), nullable=False, index=True),
    Column("recipient", String(64), nullable=False, index=True),
    Column("dataset_id", String(36), nullable=False, index=True),
    Column("contract_id", String(36), nullable=False),
    Column("package_id", String(36), nullable=False),
    Column("items", Text, nullable=False),
    Column("number_of_persons", Integer, nullable=False),
    Column("package_sha256", String(64), nullable=False),
    Column("resumed", Boolean, nullable=False),
)

cases = Table(
    "cases", metadata,
    Column("case_id", String(36), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("subject_id", String(64), nullable=False, index=True),
    Column("state", String(32), nullable=False, index=True),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),
)

outbox = outbox_table(metadata)


def migrate(engine: Engine) -> None:
    """Creates missing tables and adds the columns later versions added to existing ones."""
    metadata.create_all(engine)
    existing = inspect(engine)
    with engine.begin() as conn:
        for table in (contracts, datasets):
            have = {c["name"] for c in existing.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have:
                    default = column.server_default.arg
                    default = default.text if hasattr(default, "text") else f"'{default}'"
                    conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} "
                                      f"{column.type.compile(engine.dialect)} NOT NULL DEFAULT {default}"))


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# ---- contracts --------------------------------------------------------------------------------

def add_contract(conn: Connection, contract: review_pb2.Contract) -> bool:
    if conn.execute(select(contracts.c.contract_id).where(contracts.c.contract_id == contract.contract_id)).first():
        return False
    conn.execute(insert(contracts).values(
        contract_id=contract.contract_id, business_id=contract.business_id,
        period_start=contract.period_start.ToDatetime(timezone.utc),
        period_end=contract.period_end.ToDatetime(timezone.utc), max_downloads=contract.max_downloads, downloads=0,
        status=ACTIVE, reused_dataset_id=contract.reused_dataset_id, format="parquet"))
    return True


def _terms(row) -> ContractTerms:
    return ContractTerms(row.contract_id, row.business_id, _utc(row.period_start), _utc(row.period_end),
                         row.max_downloads, row.downloads, row.status)


def contract_terms(conn: Connection, contract_id: str) -> ContractTerms | None:
    row = conn.execute(select(contracts).where(contracts.c.contract_id == contract_id)).first()
    return None if row is None else _terms(row)


def contract_format(conn: Connection, contract_id: str) -> str | None:
    return conn.execute(select(contracts.c.format).where(contracts.c.contract_id == contract_id)).scalar()


def set_contract_format(conn: Connection, contract_id: str, fmt: str) -> bool:
    return conn.execute(update(contracts).where(contracts.c.contract_id == contract_id)
                        .values(format=fmt)).rowcount == 1


def _covering(dataset_id: str, creating_contract_id: str):
    return or_(contracts.c.contract_id == creating_contract_id, contracts.c.reused_dataset_id == dataset_id)


def contracts_of_dataset(conn: Connection, dataset_id: str, creating_contract_id: str) -> list[ContractTerms]:
    """Every contract that provides the dataset: the one it was created for and reuse contracts."""
    rows = conn.execute(select(contracts).where(_covering(dataset_id, creating_contract_id))
                        .order_by(contracts.c.contract_id)).all()
    return [_terms(r) for r in rows]


def count_download(conn: Connection, contract_id: str, seen: int) -> bool:
    """Counts a download unless another pull counted it first (optimistic check)."""
    result = conn.execute(update(contracts).where(contracts.c.contract_id == contract_id,
                                                  contracts.c.downloads == seen).values(downloads=seen + 1))
    return result.rowcount == 1


def set_contract_status(conn: Connection, contract_id: str, status: str) -> bool:
    """Moves an active contract to ``status``; False if it was not active."""
    return conn.execute(update(contracts).where(contracts.c.contract_id == contract_id,
                                                contracts.c.status == ACTIVE).values(status=status)).rowcount == 1


def active_contracts_ended_by(conn: Connection, now: datetime) -> list[ContractTerms]:
    rows = conn.execute(select(contracts).where(contracts.c.status == ACTIVE, contracts.c.period_end <= now)).all()
    return [_terms(r) for r in rows]


# ---- datasets ---------------------------------------------------------------------------------

def register_dataset(conn: Connection, created: events_pb2.DatasetCreated, trace_context: dict[str, str]) -> bool:
    if conn.execute(select(datasets.c.dataset_id).where(datasets.c.dataset_id == created.dataset_id)).first():
        return False
    conn.execute(insert(datasets).values(dataset_id=created.dataset_id, contract_id=created.contract_id,
                                         created=created.SerializeToString(), trace_context=json.dumps(trace_context),
                                         registered_at=datetime.now(timezone.utc), recalled=False))
    return True


def get_dataset(conn: Connection, dataset_id: str):
    return conn.execute(select(datasets).where(datasets.c.dataset_id == dataset_id)).first()


def all_datasets(conn: Connection):
    return conn.execute(select(datasets).order_by(datasets.c.registered_at)).all()


def list_datasets(conn: Connection, business_id: str | None):
    query = select(datasets).order_by(datasets.c.registered_at)
    if business_id is not None:
        query = query.join(contracts, or_(contracts.c.contract_id == datasets.c.contract_id,
                                          contracts.c.reused_dataset_id == datasets.c.dataset_id)) \
            .where(contracts.c.business_id == business_id).distinct()
    return conn.execute(query).all()


def mark_recalled(conn: Connection, dataset_id: str) -> bool:
    return conn.execute(update(datasets).where(datasets.c.dataset_id == dataset_id, datasets.c.recalled.is_(False))
                        .values(recalled=True)).rowcount == 1


# ---- packages ---------------------------------------------------------------------------------

def get_package(conn: Connection, package_id: str):
    return conn.execute(select(packages).where(packages.c.package_id == package_id)).first()


def save_package(conn: Connection, **values) -> None:
    conn.execute(delete(packages).where(packages.c.package_id == values["package_id"]))
    conn.execute(insert(packages).values(**values))


def packages_of(conn: Connection, dataset_id: str | None = None, contract_id: str | None = None):
    query = select(packages)
    if dataset_id is not None:
        query = query.where(packages.c.dataset_id == dataset_id)
    if contract_id is not None:
        query = query.where(packages.c.contract_id == contract_id)
    return conn.execute(query).all()


def forget_packages(conn: Connection, package_ids: list[str]) -> None:
    if package_ids:
        conn.execute(delete(packages).where(packages.c.package_id.in_(package_ids)))


# ---- provision records ------------------------------------------------------------------------

def add_provision(conn: Connection, record: ProvisionRecord, package_id: str) -> None:
    conn.execute(insert(provision_records).values(
        record_id=record.record_id, provided_at=record.provided_at, recipient=record.recipient,
        dataset_id=record.dataset_id, contract_id=record.contract_id, package_id=package_id,
        items=json.dumps(list(record.items), ensure_ascii=False), number_of_persons=record.number_of_persons,
        package_sha256=record.package_sha256, resumed=record.resumed))


def last_counted_pull(conn: Connection, package_id: str, recipient: str) -> datetime | None:
    return _utc(conn.execute(select(provision_records.c.provided_at).where(
        provision_records.c.package_id == package_id, provision_records.c.recipient == recipient,
        provision_records.c.resumed.is_(False)).order_by(provision_records.c.provided_at.desc()).limit(1)).scalar())


def recipients_of(conn: Connection, dataset_id: str | None = None, contract_id: str | None = None) -> list[str]:
    """Businesses that received at least one copy (of a dataset, or under a contract)."""
    query = select(provision_records.c.recipient).distinct()
    if dataset_id is not None:
        query = query.where(provision_records.c.dataset_id == dataset_id)
    if contract_id is not None:
        query = query.where(provision_records.c.contract_id == contract_id)
    return sorted(conn.execute(query).scalars())


def datasets_provided(conn: Connection, contract_id: str) -> list[str]:
    return sorted(conn.execute(select(provision_records.c.dataset_id).distinct()
                               .where(provision_records.c.contract_id == contract_id)).scalars())


def provisions(conn: Connection, dataset_id: str = "") -> list[tuple[ProvisionRecord, datetime]]:
    query = select(provision_records).order_by(provision_records.c.provided_at)
    if dataset_id:
        query = query.where(provision_records.c.dataset_id == dataset_id)
    out = []
    for row in conn.execute(query):
        provided = _utc(row.provided_at)
        out.append((ProvisionRecord(row.record_id, provided, row.recipient, row.dataset_id, row.contract_id,
                                    tuple(json.loads(row.items)), row.number_of_persons, row.package_sha256,
                                    row.resumed), delete_after(provided)))
    return out


def delete_provisions(conn: Connection, record_ids: list[str]) -> int:
    if not record_ids:
        return 0
    return conn.execute(delete(provision_records).where(provision_records.c.record_id.in_(record_ids))).rowcount


# ---- cases ------------------------------------------------------------------------------------

def save_case(conn: Connection, case: case_rules.Case) -> None:
    conn.execute(delete(cases).where(cases.c.case_id == case.case_id))
    conn.execute(insert(cases).values(case_id=case.case_id, kind=case.kind, subject_id=case.subject_id,
                                      state=case.state, opened_at=case.opened_at, body=case_rules.to_json(case)))


def get_case(conn: Connection, case_id: str) -> case_rules.Case | None:
    body = conn.execute(select(cases.c.body).where(cases.c.case_id == case_id)).scalar()
    return None if body is None else case_rules.from_json(body)


def list_cases(conn: Connection, open_only: bool = False) -> list[case_rules.Case]:
    query = select(cases.c.body).order_by(cases.c.opened_at)
    if open_only:
        query = query.where(cases.c.state != case_rules.CLOSED)
    return [case_rules.from_json(body) for body in conn.execute(query).scalars()]
