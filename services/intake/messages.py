"""Intake's rows and domain values as protobuf messages."""
from __future__ import annotations

import json

from services.common.pb.sakusei.v1 import common_pb2, intake_pb2
from services.intake import domain
from services.intake.store import utc


def entry_to_proto(file_id: str, entry: domain.RegisterEntry) -> intake_pb2.FileRegisterEntry:
    items = [common_pb2.RecordItem(name=i.name, type=common_pb2.ItemType.Value(f"ITEM_TYPE_{i.type}"),
                                   role=common_pb2.ItemRole.Value(f"ITEM_ROLE_{i.role}")) for i in entry.items]
    return intake_pb2.FileRegisterEntry(
        file_id=file_id, municipality_code=entry.municipality_code, file_name=entry.file_name,
        purpose=entry.purpose, items=items, number_of_persons=entry.number_of_persons,
        proposals_invited=entry.proposals_invited)


def item_from_proto(item: common_pb2.RecordItem) -> domain.Item:
    kind = common_pb2.ItemType.Name(item.type).removeprefix("ITEM_TYPE_")
    role = common_pb2.ItemRole.Name(item.role).removeprefix("ITEM_ROLE_")
    return domain.Item(item.name, kind, role)


def request_to_proto(row) -> intake_pb2.DataRequest:
    message = intake_pb2.DataRequest(
        request_id=row.request_id, contract_id=row.contract_id, municipality_code=row.municipality_code,
        file_id=row.file_id, business_id=row.business_id, purpose=row.purpose, items=json.loads(row.items),
        degrees=json.loads(row.degrees), management_measures=row.management_measures,
        decline_reason=row.decline_reason,
        state=intake_pb2.DataRequestState.Value(f"DATA_REQUEST_STATE_{row.state}"))
    message.issued_at.FromDatetime(utc(row.issued_at))
    for name in ("deadline", "answered_at"):
        if getattr(row, name) is not None:
            getattr(message, name).FromDatetime(utc(getattr(row, name)))
    return message


def receipt_to_proto(row) -> intake_pb2.ReceiptRecord:
    message = intake_pb2.ReceiptRecord(
        receipt_id=row.receipt_id, municipality_code=row.municipality_code, request_id=row.request_id,
        contract_id=row.contract_id, extract_id=row.extract_id, items=json.loads(row.items),
        number_of_persons=row.number_of_persons)
    message.received_at.FromDatetime(utc(row.received_at))
    message.delete_after.FromDatetime(utc(row.received_at) + domain.RECEIPT_RETENTION)
    return message


def header_from_proto(h: intake_pb2.ExtractHeader) -> domain.PushHeader:
    return domain.PushHeader(h.request_id, h.encoding, h.row_count, h.sha256, h.size_bytes, h.gzip)
