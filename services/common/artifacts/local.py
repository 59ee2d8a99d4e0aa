"""A directory-backed store for `make demo`: same all-or-nothing and checksum rules as MinIO.

It does not encrypt at rest; the real store (MinIO with server-side encryption) does.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Iterable, Iterator

from services.common.artifacts.base import BUCKETS, CHUNK, ArtifactStore, _Digest
from services.common.errors import InvalidArgument, NotFound
from services.common.pb.sakusei.v1 import common_pb2


_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


class LocalStore(ArtifactStore):
    def __init__(self, root: Path):
        self.root = Path(root)

    def ensure_buckets(self) -> None:
        for bucket in BUCKETS:
            for part in ("objects", "meta", "incoming"):
                (self.root / bucket / part).mkdir(parents=True, exist_ok=True)

    def _paths(self, bucket: str, key: str) -> tuple[Path, Path]:
        return self.root / bucket / "objects" / key, self.root / bucket / "meta" / f"{key}.json"

    def put_stream(self, bucket: str, key: str, chunks: Iterable[bytes], *, sha256: str,
                   size: int | None = None, max_size: int | None = None) -> common_pb2.ArtifactRef:
        data, meta = self._paths(bucket, key)
        incoming = self.root / bucket / "incoming" / uuid.uuid4().hex
        digest = _Digest(max_size)
        try:
            with open(incoming, "wb") as handle:
                for chunk in chunks:
                    digest.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            digest.check(sha256, size)
            data.parent.mkdir(parents=True, exist_ok=True)
            meta.parent.mkdir(parents=True, exist_ok=True)
            meta.write_text(json.dumps({"sha256": digest.sha.hexdigest(), "size": digest.size}))
            os.replace(incoming, data)
        finally:
            incoming.unlink(missing_ok=True)
        return common_pb2.ArtifactRef(bucket=bucket, key=key, sha256=digest.sha.hexdigest(), size_bytes=digest.size)

    def _upload_dir(self, bucket: str, upload_id: str) -> Path:
        if not _UPLOAD_ID.match(upload_id):
            raise InvalidArgument("upload_id", "not an upload of this store")
        return self.root / bucket / "incoming" / f"upload-{upload_id}"

    def begin_upload(self, bucket: str, key: str, sha256: str) -> str:
        upload_id = uuid.uuid4().hex
        self._upload_dir(bucket, upload_id).mkdir(parents=True)
        return upload_id

    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, data: bytes) -> str:
        directory = self._upload_dir(bucket, upload_id)
        if not directory.is_dir():
            raise NotFound("no such upload")
        with open(directory / f"{number:05d}", "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return uuid.uuid4().hex

    def complete_upload(self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]],
                        sha256: str, size: int) -> common_pb2.ArtifactRef:
        directory = self._upload_dir(bucket, upload_id)
        combined = directory / "combined"
        with open(combined, "wb") as out:
            for number, _ in parts:
                with open(directory / f"{number:05d}", "rb") as part:
                    shutil.copyfileobj(part, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        data, meta = self._paths(bucket, key)
        data.parent.mkdir(parents=True, exist_ok=True)
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps({"sha256": sha256.lower(), "size": size}))
        os.replace(combined, data)
        shutil.rmtree(directory, ignore_errors=True)
        return common_pb2.ArtifactRef(bucket=bucket, key=key, sha256=sha256.lower(), size_bytes=size)

    def abort_upload(self, bucket: str, key: str, upload_id: str) -> None:
        shutil.rmtree(self._upload_dir(bucket, upload_id), ignore_errors=True)

    def stat(self, bucket: str, key: str) -> common_pb2.ArtifactRef:
        data, meta = self._paths(bucket, key)
        if not data.is_file() or not meta.is_file():
            raise NotFound(f"no object {key} in {bucket}")
        recorded = json.loads(meta.read_text())
        return common_pb2.ArtifactRef(bucket=bucket, key=key, sha256=recorded["sha256"], size_bytes=recorded["size"])

    def read(self, bucket: str, key: str, offset: int = 0) -> Iterator[bytes]:
        self.stat(bucket, key)
        with open(self._paths(bucket, key)[0], "rb") as handle:
            handle.seek(offset)
            yield from iter(lambda: handle.read(CHUNK), b"")

    def delete(self, bucket: str, key: str) -> None:
        data, meta = self._paths(bucket, key)
        data.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)

    def list(self, bucket: str, prefix: str = "") -> list[str]:
        base = self.root / bucket / "objects"
        keys = (p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())
        return sorted(k for k in keys if k.startswith(prefix))

    def is_encrypted(self, bucket: str, key: str) -> bool:
        self.stat(bucket, key)
        return False

    def dask_location(self, bucket: str, key: str) -> tuple[str, dict]:
        return str(self._paths(bucket, key)[0].resolve()), {}
