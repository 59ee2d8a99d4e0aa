"""The store on MinIO through the minio SDK, encrypted at rest with SSE-S3.

Every write is a multipart upload that is completed only after the streamed bytes' sha256
matched the declared one; otherwise it is aborted, so an interrupted or corrupt upload never
becomes a visible object. The sha256 is kept as object metadata.

Each part travels with a CRC32 of its bytes that the server checks (a damaged part is refused),
and its request is signed without a sha256 of the body: the SDK would otherwise hash every part
on our side and the server again on its side, over plain HTTP. The extract's own sha256 is still
verified end to end before completion.
"""
from __future__ import annotations

import base64
import threading
import zlib
from typing import Iterable, Iterator

from minio import Minio
from minio.datatypes import Part
from minio.error import S3Error
from minio.sse import SseS3

from services.common.artifacts.base import BUCKETS, CHUNK, ArtifactStore, _Digest
from services.common.config import S3Settings
from services.common.errors import NotFound
from services.common.pb.sakusei.v1 import common_pb2

PART_SIZE = 8 << 20
SHA_META = "x-amz-meta-sha256"
PART_CHECKSUM = "x-amz-checksum-crc32"


class _PartChecksumMinio(Minio):
    """Signs part uploads that carry a CRC32 with an unsigned payload (the CRC protects the body)."""

    def _build_headers(self, host, headers=None, body=None, creds=None):
        if not (creds and body is not None and headers and PART_CHECKSUM in headers):
            return super()._build_headers(host, headers, body, creds)
        built, date = super()._build_headers(host, headers, None, creds)
        built["Content-Length"] = str(len(body))
        built["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
        return built, date


def _part_headers(data: bytes | bytearray) -> dict[str, str]:
    return {PART_CHECKSUM: base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()}


class MinioStore(ArtifactStore):
    def __init__(self, settings: S3Settings):
        self.settings = settings
        self._client: Minio | None = None
        self._lock = threading.Lock()

    def __getstate__(self):
        return {"settings": self.settings}

    def __setstate__(self, state):
        self.__init__(state["settings"])

    @property
    def client(self) -> Minio:
        with self._lock:
            if self._client is None:
                s = self.settings
                self._client = _PartChecksumMinio(s.endpoint, access_key=s.access_key, secret_key=s.secret_key,
                                                  secure=s.secure)
            return self._client

    def ensure_buckets(self) -> None:
        for bucket in BUCKETS:
            if not self.client.bucket_exists(bucket):
                try:
                    self.client.make_bucket(bucket)
                except S3Error as exc:
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise

    def put_stream(self, bucket: str, key: str, chunks: Iterable[bytes], *, sha256: str,
                   size: int | None = None, max_size: int | None = None) -> common_pb2.ArtifactRef:
        headers = {**SseS3().headers(), SHA_META: sha256.lower(), "Content-Type": "application/octet-stream"}
        upload_id = self.client._create_multipart_upload(bucket, key, headers)
        digest = _Digest(max_size)
        try:
            parts = self._upload_parts(bucket, key, upload_id, chunks, digest)
            digest.check(sha256, size)
            self.client._complete_multipart_upload(bucket, key, upload_id, parts)
        except BaseException:
            self.client._abort_multipart_upload(bucket, key, upload_id)
            raise
        return common_pb2.ArtifactRef(bucket=bucket, key=key, sha256=digest.sha.hexdigest(), size_bytes=digest.size)

    def _upload_parts(self, bucket: str, key: str, upload_id: str, chunks: Iterable[bytes],
                      digest: _Digest) -> list[Part]:
        parts: list[Part] = []
        buffer = bytearray()

        def flush() -> None:
            number = len(parts) + 1
            etag = self.client._upload_part(bucket, key, bytes(buffer), _part_headers(buffer), upload_id, number)
            parts.append(Part(number, etag))
            buffer.clear()

        for chunk in chunks:
            digest.update(chunk)
            buffer.extend(chunk)
            if len(buffer) >= PART_SIZE:
                flush()
        if buffer or not parts:
            flush()
        return parts

    def begin_upload(self, bucket: str, key: str, sha256: str) -> str:
        headers = {**SseS3().headers(), SHA_META: sha256.lower(), "Content-Type": "application/octet-stream"}
        return self.client._create_multipart_upload(bucket, key, headers)

    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, data: bytes) -> str:
        return self.client._upload_part(bucket, key, data, _part_headers(data), upload_id, number)

    def complete_upload(self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]],
                        sha256: str, size: int) -> common_pb2.ArtifactRef:
        self.client._complete_multipart_upload(bucket, key, upload_id, [Part(n, etag) for n, etag in parts])
        return common_pb2.ArtifactRef(bucket=bucket, key=key, sha256=sha256.lower(), size_bytes=size)

    def abort_upload(self, bucket: str, key: str, upload_id: str) -> None:
        try:
            self.client._abort_multipart_upload(bucket, key, upload_id)
        except S3Error as exc:
            if exc.code != "NoSuchUpload":
                raise

    def stat(self, bucket: str, key: str) -> common_pb2.ArtifactRef:
        try:
            info = self.client.stat_object(bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NoSuchBucket"):
                raise NotFound(f"no object {key} in {bucket}") from None
            raise
        sha = {k.lower(): v for k, v in (info.metadata or {}).items()}.get(SHA_META, "")
        return common_pb2.ArtifactRef(bucket=bucket, key=key, sha256=sha, size_bytes=info.size or 0)

    def read(self, bucket: str, key: str, offset: int = 0) -> Iterator[bytes]:
        self.stat(bucket, key)
        response = self.client.get_object(bucket, key, offset=offset)
        try:
            yield from response.stream(CHUNK)
        finally:
            response.close()
            response.release_conn()

    def delete(self, bucket: str, key: str) -> None:
        self.client.remove_object(bucket, key)

    def list(self, bucket: str, prefix: str = "") -> list[str]:
        return sorted(o.object_name for o in self.client.list_objects(bucket, prefix=prefix, recursive=True))

    def is_encrypted(self, bucket: str, key: str) -> bool:
        info = self.client.stat_object(bucket, key)
        headers = {k.lower(): v for k, v in (info.metadata or {}).items()}
        return headers.get("x-amz-server-side-encryption") in ("AES256", "aws:kms")

    def dask_location(self, bucket: str, key: str) -> tuple[str, dict]:
        s = self.settings
        scheme = "https" if s.secure else "http"
        options = {"key": s.access_key, "secret": s.secret_key,
                   "client_kwargs": {"endpoint_url": f"{scheme}://{s.endpoint}"}}
        return f"s3://{bucket}/{key}", options
