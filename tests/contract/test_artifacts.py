"""One contract, two artifact stores: the local directory one and MinIO must behave the same."""
from __future__ import annotations

import hashlib
import os
import uuid

import dask.dataframe as dd
import pytest
from minio.error import S3Error

from services.common.artifacts import DATASETS, EXTRACTS, object_key
from services.common.artifacts.local import LocalStore
from services.common.artifacts.base import MIN_PART_SIZE
from services.common.artifacts.minio_store import PART_SIZE, MinioStore, _part_headers
from services.common.errors import DataLoss, InvalidArgument, NotFound, ResourceExhausted


@pytest.fixture(params=["local", "minio"])
def store(request, tmp_path):
    if request.param == "local":
        chosen = LocalStore(tmp_path / "artifacts")
    else:
        chosen = MinioStore(request.getfixturevalue("infra").s3)
    chosen.ensure_buckets()
    return chosen


def _key() -> str:
    return object_key("extract", str(uuid.uuid4()), suffix=".csv")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _chunks(data: bytes, size: int = 1 << 20):
    return (data[i:i + size] for i in range(0, len(data), size))


def test_an_object_is_stored_with_its_sha256_and_read_back_whole(store):
    data = os.urandom(PART_SIZE + 12345)  # more than one multipart part
    key = _key()
    ref = store.put_stream(EXTRACTS, key, _chunks(data), sha256=_sha(data), size=len(data))
    assert (ref.sha256, ref.size_bytes) == (_sha(data), len(data))
    assert store.stat(EXTRACTS, key).sha256 == _sha(data)
    assert b"".join(store.read(EXTRACTS, key)) == data
    assert b"".join(store.read(EXTRACTS, key, offset=100)) == data[100:]
    assert key in store.list(EXTRACTS, prefix="extract/")


@pytest.mark.parametrize("declared_sha, declared_size, error", [
    ("0" * 64, None, DataLoss),            # a corrupted transfer
    (None, 10, DataLoss),                  # bytes missing: the stream was cut off
])
def test_a_mismatched_upload_leaves_no_visible_object(store, declared_sha, declared_size, error):
    data = b"a,b\n1,2\n" * 1000
    key = _key()
    with pytest.raises(error):
        store.put_stream(EXTRACTS, key, _chunks(data, 100), sha256=declared_sha or _sha(data), size=declared_size)
    assert not store.exists(EXTRACTS, key)
    assert key not in store.list(EXTRACTS)


def test_an_upload_interrupted_by_the_sender_leaves_no_visible_object(store):
    key = _key()

    def broken():
        yield b"x" * 1000
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        store.put_stream(EXTRACTS, key, broken(), sha256="0" * 64)
    assert not store.exists(EXTRACTS, key)


def test_an_upload_over_the_size_limit_is_refused_and_not_kept(store):
    key = _key()
    with pytest.raises(ResourceExhausted):
        store.put_stream(EXTRACTS, key, _chunks(b"x" * 5000, 1000), sha256="0" * 64, max_size=4096)
    assert not store.exists(EXTRACTS, key)


def test_put_file_records_the_file_sha256(store, tmp_path):
    path = tmp_path / "dataset.parquet"
    path.write_bytes(os.urandom(4096))
    key = object_key("dataset", str(uuid.uuid4()), suffix=".parquet")
    ref = store.put_file(DATASETS, key, path)
    assert ref.sha256 == _sha(path.read_bytes()) == store.stat(DATASETS, key).sha256


def test_missing_and_deleted_objects_are_not_found(store):
    key = _key()
    with pytest.raises(NotFound):
        store.stat(EXTRACTS, key)
    store.put_stream(EXTRACTS, key, [b"abc"], sha256=_sha(b"abc"))
    store.delete(EXTRACTS, key)
    with pytest.raises(NotFound):
        list(store.read(EXTRACTS, key))


def test_dask_can_read_an_object_through_its_location(store):
    data = "a,b\n1,x\n2,y\n".encode()
    key = _key()
    store.put_stream(EXTRACTS, key, [data], sha256=_sha(data))
    url, options = store.dask_location(EXTRACTS, key)
    frame = dd.read_csv(url, dtype=str, storage_options=options).compute(scheduler="sync")
    assert frame.to_dict("list") == {"a": ["1", "2"], "b": ["x", "y"]}


@pytest.mark.parametrize("ids", [("../etc",), ("A",), ("a/b",), ("",), ("x" * 81,)])
def test_keys_are_built_from_ids_only(ids):
    with pytest.raises(InvalidArgument):
        object_key("extract", *ids)


def test_minio_objects_are_encrypted_at_rest(infra):
    store = MinioStore(infra.s3)
    store.ensure_buckets()
    key = _key()
    store.put_stream(EXTRACTS, key, [b"secret"], sha256=_sha(b"secret"))
    assert store.is_encrypted(EXTRACTS, key)


def test_minio_refuses_a_part_whose_bytes_do_not_match_its_checksum(infra):
    """The parts' integrity on their way rests on the CRC32 the server checks; this shows it checks."""
    store = MinioStore(infra.s3)
    store.ensure_buckets()
    key = _key()
    upload_id = store.begin_upload(EXTRACTS, key, _sha(b"x"))
    try:
        with pytest.raises(S3Error) as caught:
            store.client._upload_part(EXTRACTS, key, os.urandom(1 << 20), _part_headers(b"other bytes"), upload_id, 1)
        assert caught.value.code == "XAmzContentChecksumMismatch"
    finally:
        store.abort_upload(EXTRACTS, key, upload_id)
    assert not store.exists(EXTRACTS, key)


def test_an_upload_in_parts_is_invisible_until_completed_and_then_whole(store):
    data = os.urandom(MIN_PART_SIZE + 777)
    key = _key()
    upload = store.begin_upload(EXTRACTS, key, sha256=_sha(data))
    first = store.upload_part(EXTRACTS, key, upload, 1, data[:MIN_PART_SIZE])
    assert not store.exists(EXTRACTS, key)
    second = store.upload_part(EXTRACTS, key, upload, 2, data[MIN_PART_SIZE:])
    ref = store.complete_upload(EXTRACTS, key, upload, [(1, first), (2, second)], sha256=_sha(data),
                                size=len(data))
    assert (ref.sha256, ref.size_bytes) == (_sha(data), len(data)) == (store.stat(EXTRACTS, key).sha256,
                                                                        store.stat(EXTRACTS, key).size_bytes)
    assert b"".join(store.read(EXTRACTS, key)) == data


def test_an_aborted_upload_in_parts_leaves_nothing(store):
    key = _key()
    upload = store.begin_upload(EXTRACTS, key, sha256="0" * 64)
    store.upload_part(EXTRACTS, key, upload, 1, b"x" * 1000)
    store.abort_upload(EXTRACTS, key, upload)
    store.abort_upload(EXTRACTS, key, upload)
    assert not store.exists(EXTRACTS, key) and key not in store.list(EXTRACTS)
