"""Building, caching and authorizing the provision of per-recipient packages."""
from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from services.common.artifacts import DATASETS, object_key
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.pb.sakusei.v1 import delivery_pb2, events_pb2
from services.delivery import store
from services.delivery.context import DeliveryContext
from services.delivery.domain import package, registry
from services.delivery.domain.contracts import ContractTerms, pick_contract
from services.delivery.domain.fingerprint import fingerprint

_PACKAGES = uuid.UUID("6f1d2c5e-6a3b-5d7e-9b1a-2c4e6f8a0b1c")
FORMAT_OF = {delivery_pb2.DELIVERY_FORMAT_UNSPECIFIED: package.PARQUET,
             delivery_pb2.DELIVERY_FORMAT_PARQUET: package.PARQUET,
             delivery_pb2.DELIVERY_FORMAT_CSV_UTF8: package.CSV_UTF8,
             delivery_pb2.DELIVERY_FORMAT_CSV_CP932: package.CSV_CP932}
PROTO_FORMAT = {name: value for value, name in FORMAT_OF.items() if value}


@dataclass(frozen=True)
class PackageRef:
    package_id: str
    bucket: str
    key: str
    sha256: str
    size_bytes: int
    format: str


def package_id(dataset_id: str, contract_id: str, fmt: str) -> str:
    """One package per dataset, contract and format; its object key derives from these ids only."""
    return str(uuid.uuid5(_PACKAGES, f"{dataset_id}|{contract_id}|{fmt}"))


def created_of(row) -> events_pb2.DatasetCreated:
    return events_pb2.DatasetCreated.FromString(row.created)


def dataset_row(conn, dataset_id: str):
    row = store.get_dataset(conn, dataset_id)
    if row is None:
        raise NotFound("dataset_id: no such dataset")
    return row


def contract_for(conn, row, business_id: str) -> ContractTerms:
    """The business's contract that provides this dataset; refuses a recalled dataset first."""
    if row.recalled:
        raise FailedPrecondition("the dataset has been recalled; it is no longer provided")
    candidates = store.contracts_of_dataset(conn, row.dataset_id, row.contract_id)
    if not candidates:
        raise FailedPrecondition("the dataset's contract is not known to delivery yet")
    return pick_contract(candidates, business_id)


def load_table(ctx: DeliveryContext, created: events_pb2.DatasetCreated) -> pa.Table:
    ref = created.artifact
    try:
        data = b"".join(ctx.artifacts.read(ref.bucket, ref.key))
    except NotFound:
        raise FailedPrecondition("the dataset's stored file is gone") from None
    return pq.read_table(io.BytesIO(data))


def terms_document(terms: ContractTerms) -> dict:
    """The contract terms every package restates; nothing of how the data was processed or marked."""
    return {
        "contract_id": terms.contract_id, "business_id": terms.business_id,
        "period_start": terms.period_start.isoformat(), "period_end": terms.period_end.isoformat(),
        "max_downloads": terms.max_downloads,
        "obligations": [
            "Do not identify any person from this data, nor combine it with other information to that end.",
            "Do not provide this data, in whole or in part, to any third party (no secondary distribution).",
            "Keep the safety measures stated in the proposal; report any leak at once.",
            "Delete this data at the end of the contract period or when told, and send a deletion certificate.",
            "Each copy is individually marked: the recipient of any leaked copy can be identified.",
        ],
    }


def planned_package_id(conn, row, terms: ContractTerms) -> str:
    """The id of the package the contract's current format gives, built or not."""
    fmt = store.contract_format(conn, terms.contract_id) or package.PARQUET
    return package_id(row.dataset_id, terms.contract_id, fmt)


def ensure_package(ctx: DeliveryContext, row, terms: ContractTerms) -> PackageRef:
    """The recipient's package, built and stored on first use, then served from the store."""
    with ctx.engine.connect() as conn:
        fmt = store.contract_format(conn, terms.contract_id) or package.PARQUET
        pid = package_id(row.dataset_id, terms.contract_id, fmt)
        cached = store.get_package(conn, pid)
    if cached is not None and ctx.artifacts.exists(cached.bucket, cached.key):
        return PackageRef(pid, cached.bucket, cached.key, cached.sha256, cached.size_bytes, fmt)
    created = created_of(row)
    copy = fingerprint(load_table(ctx, created), ctx.fingerprint_key, row.dataset_id, terms.business_id)
    built = package.build(copy, fmt, registry.processing_summary(created), terms_document(terms),
                          {"dataset_id": row.dataset_id, "package_id": pid, "recipient": terms.business_id})
    key = object_key("package", row.dataset_id, pid, suffix=".zip")
    ref = ctx.artifacts.put_stream(DATASETS, key, [built.data], sha256=built.sha256, size=len(built.data))
    with ctx.engine.begin() as conn:
        store.save_package(conn, package_id=pid, dataset_id=row.dataset_id, contract_id=terms.contract_id,
                           recipient=terms.business_id, format=fmt, bucket=DATASETS, key=key, sha256=ref.sha256,
                           size_bytes=ref.size_bytes, built_at=ctx.clock())
        ctx.audit.record(conn, "service:delivery", "build_package", "dataset", row.dataset_id)
    return PackageRef(pid, DATASETS, key, ref.sha256, ref.size_bytes, fmt)


def set_format(ctx: DeliveryContext, actor, contract_id: str, fmt_value: int) -> str:
    if fmt_value not in FORMAT_OF:
        raise InvalidArgument("format", "not a delivery format")
    fmt = FORMAT_OF[fmt_value]
    with ctx.engine.begin() as conn:
        if not store.set_contract_format(conn, contract_id, fmt):
            raise NotFound("contract_id: no such contract known to delivery")
        ctx.audit.record(conn, actor, "set_delivery_format", "contract", contract_id)
    return fmt
