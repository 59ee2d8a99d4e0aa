"""A delivery package: one zip archive per recipient and contract, the same bytes every time it is built.

Members: the recipient's copy of the data in the contracted format, a data dictionary (items and
types), the processing summary (never processing-method information), the contract terms, and a
manifest naming every other member with its size and sha256. Entries carry a fixed timestamp, so
the archive's sha256 depends on its contents only.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from services.common.errors import FailedPrecondition

PARQUET, CSV_UTF8, CSV_CP932 = "parquet", "csv-utf-8", "csv-cp932"
FORMATS = (PARQUET, CSV_UTF8, CSV_CP932)
DATA_MEMBER = {PARQUET: "dataset.parquet", CSV_UTF8: "dataset.csv", CSV_CP932: "dataset.csv"}
MANIFEST = "manifest.json"
_EPOCH = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Package:
    data: bytes
    sha256: str
    members: tuple[str, ...]


def encode_data(table: pa.Table, fmt: str) -> bytes:
    """The table in the contracted format; a value CP932 cannot write is refused, naming its column."""
    if fmt == PARQUET:
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="zstd")
        return sink.getvalue()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(table.column_names)
    writer.writerows(zip(*(["" if v is None else str(v) for v in table.column(c).to_pylist()]
                           for c in table.column_names)))
    if fmt == CSV_UTF8:
        return text.getvalue().encode("utf-8")
    for name in table.column_names:
        try:
            "\n".join("" if v is None else str(v) for v in table.column(name).to_pylist()).encode("cp932")
        except UnicodeEncodeError:
            raise FailedPrecondition(f"format: column {name} has characters CP932 cannot encode") from None
    return text.getvalue().encode("cp932")


def data_dictionary(table: pa.Table) -> dict:
    return {"items": [{"name": f.name, "type": str(f.type), "nullable": f.nullable,
                       "values": table.num_rows - table.column(f.name).null_count} for f in table.schema]}


def _json(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def build(table: pa.Table, fmt: str, summary: dict, terms: dict, identity: dict) -> Package:
    """The archive of one recipient's copy. ``identity`` names dataset, package and recipient."""
    if fmt not in FORMATS:
        raise FailedPrecondition(f"format: {fmt} is not one of {', '.join(FORMATS)}")
    members = {
        DATA_MEMBER[fmt]: encode_data(table, fmt),
        "data_dictionary.json": _json(data_dictionary(table)),
        "processing_summary.json": _json(summary),
        "contract_terms.json": _json(terms),
    }
    manifest = {**identity, "format": fmt, "files": [
        {"name": name, "size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in members.items()]}
    members[MANIFEST] = _json(manifest)
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    data = sink.getvalue()
    return Package(data, hashlib.sha256(data).hexdigest(), tuple(members))


def read_data_member(archive: bytes) -> tuple[str, bytes]:
    """The data member of a package, after checking every member against the manifest."""
    with zipfile.ZipFile(io.BytesIO(archive)) as package:
        manifest = json.loads(package.read(MANIFEST))
        for entry in manifest["files"]:
            if hashlib.sha256(package.read(entry["name"])).hexdigest() != entry["sha256"]:
                raise FailedPrecondition(f"{entry['name']}: does not match the manifest")
        name = DATA_MEMBER[manifest["format"]]
        return name, package.read(name)
