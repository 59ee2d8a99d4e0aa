"""What every artifact store guarantees.

- Keys are built from ids only (``object_key``), never from a name a caller supplied.
- A write is all-or-nothing: the object becomes visible only once every byte arrived and its
  sha256 matched what was declared; an interrupted or mismatched write leaves nothing visible.
- Every object's sha256 is recorded with it and returned by ``stat``.
- A resumable upload (``begin_upload`` … ``complete_upload``) keeps its parts with the store,
  invisible, until the caller completes it (having checked the bytes) or aborts it.
"""
from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Iterable, Iterator

from services.common.errors import DataLoss, InvalidArgument, NotFound, ResourceExhausted
from services.common.pb.sakusei.v1 import common_pb2

EXTRACTS = "sakusei-extracts"
DATASETS = "sakusei-datasets"
DOCUMENTS = "sakusei-documents"
METHOD_INFO = "sakusei-method-info"
BUCKETS = (EXTRACTS, DATASETS, DOCUMENTS, METHOD_INFO)

CHUNK = 1 << 20
MIN_PART_SIZE = 5 << 20  # S3's smallest part but the last
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_KIND = re.compile(r"^[a-z][a-z-]{0,30}$")


def object_key(kind: str, *ids: str, suffix: str = "") -> str:
    """``kind/id1/id2…suffix`` from validated ids, so no caller text reaches a key or a path."""
    if not _KIND.match(kind) or not ids or not all(_ID.match(i) for i in ids):
        raise InvalidArgument("object key", "ids must be lowercase letters, digits and hyphens")
    if suffix and not re.match(r"^\.[a-z0-9]{1,10}$", suffix):
        raise InvalidArgument("object key", "bad suffix")
    return "/".join((kind, *ids)) + suffix


class ChecksumMismatch(DataLoss):
    def __init__(self):
        super().__init__("sha256 of the received bytes does not match the declared sha256; nothing was stored")


class _Digest:
    """Counts and hashes bytes as they stream through, enforcing a size limit."""

    def __init__(self, max_size: int | None):
        self.sha = hashlib.sha256()
        self.size = 0
        self.max_size = max_size

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.max_size is not None and self.size > self.max_size:
            raise ResourceExhausted(f"object exceeds the size limit of {self.max_size} bytes")
        self.sha.update(chunk)

    def check(self, expected_sha256: str, expected_size: int | None) -> None:
        if expected_size is not None and expected_size != self.size:
            raise DataLoss(f"received {self.size} bytes, {expected_size} declared; nothing was stored")
        if self.sha.hexdigest() != expected_sha256.lower():
            raise ChecksumMismatch()


def sha256_of_file(path: Path) -> tuple[str, int]:
    digest = _Digest(None)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.sha.hexdigest(), digest.size


class ArtifactStore(ABC):
    @abstractmethod
    def ensure_buckets(self) -> None: ...

    @abstractmethod
    def put_stream(self, bucket: str, key: str, chunks: Iterable[bytes], *, sha256: str,
                   size: int | None = None, max_size: int | None = None) -> common_pb2.ArtifactRef:
        """Stores the chunks; visible only if their sha256 (and size, if given) match."""

    @abstractmethod
    def begin_upload(self, bucket: str, key: str, sha256: str) -> str:
        """Opens an upload in parts that stays invisible until completed; returns its id.
        ``sha256`` is the digest the caller will have verified before completing."""

    @abstractmethod
    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, data: bytes) -> str:
        """Stores part ``number`` (from 1; every part but the last at least MIN_PART_SIZE bytes);
        returns its etag."""

    @abstractmethod
    def complete_upload(self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]],
                        sha256: str, size: int) -> common_pb2.ArtifactRef:
        """Makes the object visible from its parts, in order. The caller has checked the bytes."""

    @abstractmethod
    def abort_upload(self, bucket: str, key: str, upload_id: str) -> None:
        """Discards an upload and its parts; nothing becomes visible. Aborting twice is harmless."""

    def put_file(self, bucket: str, key: str, path: Path) -> common_pb2.ArtifactRef:
        sha, size = sha256_of_file(path)
        with open(path, "rb") as handle:
            return self.put_stream(bucket, key, iter(lambda: handle.read(CHUNK), b""), sha256=sha, size=size)

    @abstractmethod
    def stat(self, bucket: str, key: str) -> common_pb2.ArtifactRef:
        """Raises NotFound when there is no such object."""

    @abstractmethod
    def read(self, bucket: str, key: str, offset: int = 0) -> Iterator[bytes]: ...

    @abstractmethod
    def delete(self, bucket: str, key: str) -> None: ...

    @abstractmethod
    def list(self, bucket: str, prefix: str = "") -> list[str]: ...

    @abstractmethod
    def is_encrypted(self, bucket: str, key: str) -> bool:
        """Whether the object is encrypted at rest."""

    @abstractmethod
    def dask_location(self, bucket: str, key: str) -> tuple[str, dict]:
        """A URL and fsspec storage options through which Dask workers read the object."""

    def exists(self, bucket: str, key: str) -> bool:
        try:
            self.stat(bucket, key)
            return True
        except NotFound:
            return False
