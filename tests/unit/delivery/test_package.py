"""A package holds the copy, its dictionary, summary, terms and a manifest, the same bytes each time."""
from __future__ import annotations

import io
import json
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.common.errors import FailedPrecondition
from services.delivery.domain import package

TABLE = pa.table({"性別": ["1", "2", None], "保険料": ["100", "2000", "300"]})
SUMMARY, TERMS, IDENTITY = {"number_of_persons": "3"}, {"contract_id": "k1"}, {"dataset_id": "d1"}


@pytest.mark.parametrize("fmt, member, read", [
    (package.PARQUET, "dataset.parquet", lambda b: pq.read_table(io.BytesIO(b)).column("性別").to_pylist()),
    (package.CSV_UTF8, "dataset.csv", lambda b: b.decode("utf-8").splitlines()[1:]),
    (package.CSV_CP932, "dataset.csv", lambda b: b.decode("cp932").splitlines()[1:]),
])
def test_each_format_carries_the_data_and_a_manifest_of_every_member(fmt, member, read):
    built = package.build(TABLE, fmt, SUMMARY, TERMS, IDENTITY)
    archive = zipfile.ZipFile(io.BytesIO(built.data))
    assert set(archive.namelist()) == {member, "data_dictionary.json", "processing_summary.json",
                                       "contract_terms.json", "manifest.json"}
    manifest = json.loads(archive.read("manifest.json"))
    assert {f["name"] for f in manifest["files"]} == set(archive.namelist()) - {"manifest.json"}
    assert package.read_data_member(built.data)[0] == member
    assert read(archive.read(member)) in (["1", "2", None], ["1,100", "2,2000", ",300"])
    dictionary = json.loads(archive.read("data_dictionary.json"))
    assert [i["name"] for i in dictionary["items"]] == ["性別", "保険料"]


def test_building_again_gives_the_same_bytes():
    first = package.build(TABLE, package.PARQUET, SUMMARY, TERMS, IDENTITY)
    assert package.build(TABLE, package.PARQUET, SUMMARY, TERMS, IDENTITY).sha256 == first.sha256


def test_a_value_cp932_cannot_write_is_refused_naming_its_column():
    with pytest.raises(FailedPrecondition, match="column 氏名"):
        package.build(pa.table({"氏名": ["髙橋🙂"]}), package.CSV_CP932, SUMMARY, TERMS, IDENTITY)


def test_a_member_that_does_not_match_the_manifest_is_caught():
    built = package.build(TABLE, package.CSV_UTF8, SUMMARY, TERMS, IDENTITY)
    source = zipfile.ZipFile(io.BytesIO(built.data))
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as tampered:
        for name in source.namelist():
            tampered.writestr(name, b"x" if name == "dataset.csv" else source.read(name))
    with pytest.raises(FailedPrecondition, match="manifest"):
        package.read_data_member(sink.getvalue())
