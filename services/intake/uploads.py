"""Receiving an extract in parts, resumable after a broken connection.

How a push survives a cut connection, and why it is built this way:

- The bytes go to the artifact store as an upload in parts (MinIO multipart). The store keeps
  the parts, invisible, until the upload is completed; nothing else is written anywhere.
- A part is about ``part_size`` bytes of the extract. Only once the store has acknowledged a part
  does the session move its ``offset`` (the count of sent bytes it holds) past it; a client
  whose stream broke asks ``PushStatus`` and resends from that offset.
- The running sha256 cannot be persisted (hashlib objects cannot be serialized), and the store
  cannot hand back the parts of an unfinished upload to hash them again. So the sha256, the
  extract validator and the gzip inflater live in this process, in the session, and they only
  ever see the bytes of acknowledged parts: after a cut they stand exactly at ``offset``.
  Bytes received after the last acknowledged part are dropped and sent again.
- What the database keeps of a session is what is needed after a restart: the store's upload
  id, to abort the parts. A push whose session was lost to a restart starts again from 0.
- Completion comes only after the whole extract was hashed and validated: a checksum mismatch
  or an invalid extract aborts the upload, so nothing becomes visible.

Parts are stored (two at a time: MinIO takes parallel parts faster) and hashed and checked (one
at a time, in order) on worker threads while the next part is received; the offset moves past a
part once it and every part before it are done. Memory per push is bounded by about three parts.
"""
from __future__ import annotations

import hashlib
import threading
import time
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from services.common.artifacts import ArtifactStore
from services.common.artifacts.base import ChecksumMismatch
from services.common.errors import DataLoss, FailedPrecondition, InvalidArgument, ResourceExhausted
from services.intake.domain import PushHeader
from services.intake.validation import ExtractValidator

DEFAULT_PART_SIZE = 8 << 20
VALIDATE_BYTES = 1 << 20
PARTS_IN_FLIGHT = 2
LOCK_WAIT_S = 30


class StreamBroken(FailedPrecondition):
    """The sender's stream broke off (connection lost, call cancelled); a resumable push goes on later."""

    def __init__(self):
        super().__init__("the stream broke off; ask PushStatus where to resume")


@dataclass
class _Part:
    number: int
    size: int
    sent: int         # the sent bytes held once this part is acknowledged
    inflater: object  # the inflater's state just after this part
    stored: Future
    checked: Future


@dataclass
class UploadSession:
    upload_id: str
    municipality_code: str
    bucket: str
    key: str
    extract_id: str
    header: PushHeader
    validator: ExtractValidator
    store: ArtifactStore
    max_bytes: int
    part_size: int = DEFAULT_PART_SIZE
    store_upload_id: str = ""
    parts: list[tuple[int, str]] = field(default_factory=list)
    offset: int = 0
    stored: int = 0
    broken: bool = False
    touched: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        self._sha = hashlib.sha256()
        self._inflater = zlib.decompressobj(wbits=31) if self.header.gzip else None
        self._io = ThreadPoolExecutor(max_workers=PARTS_IN_FLIGHT, thread_name_prefix="store-part")
        self._work = ThreadPoolExecutor(max_workers=1, thread_name_prefix="check-part")
        self._flight: deque[_Part] = deque()
        self._flight_lock = threading.Lock()
        self._held = 0  # stored bytes handed to _commit, parts in flight included

    def begin(self) -> None:
        self.store_upload_id = self.store.begin_upload(self.bucket, self.key, self.header.sha256)

    def receive(self, chunks) -> bool:
        """Takes one stream's bytes from ``offset`` on; True once every byte of the extract is held."""
        self.touched = time.monotonic()
        try:
            return self._receive(chunks)
        finally:
            self._settle()

    def _receive(self, chunks) -> bool:
        inflater = self._inflater.copy() if self._inflater else None
        pending = bytearray()
        sent = self.offset
        for chunk in chunks:
            data = chunk
            while True:  # each turn consumes sent bytes or yields at most a part; ends when both are done
                room = self.part_size - len(pending)
                out, data = self._expand(inflater, data, room)
                held = sent + len(chunk) - len(data)
                self._check_sizes(len(pending) + len(out), held)
                pending += out
                if len(pending) >= self.part_size:
                    self._commit(pending, held, inflater)
                    pending = bytearray()
                if not data and (inflater is None or len(out) < room):
                    break
            sent += len(chunk)
        complete = inflater.eof if inflater else sent == self.header.size_bytes
        if complete and (pending or not self._held):
            self._commit(pending, sent, inflater)
        return complete

    def _expand(self, inflater, data: bytes, room: int) -> tuple[bytes, bytes]:
        """The stored bytes a piece of sent bytes yields (at most ``room`` when inflating) and the rest."""
        if inflater is None:
            return data, b""
        if inflater.eof:
            if data:
                raise InvalidArgument("chunk", "bytes after the end of the gzip stream")
            return b"", b""
        try:
            out = inflater.decompress(data, max(room, 1))
        except zlib.error:
            raise InvalidArgument("chunk", "not a valid gzip stream") from None
        if inflater.unused_data:
            raise InvalidArgument("chunk", "bytes after the end of the gzip stream")
        return out, inflater.unconsumed_tail

    def _check_sizes(self, unacknowledged: int, sent: int) -> None:
        stored = self._held + unacknowledged
        if self.header.gzip and stored > self.header.size_bytes:
            raise ResourceExhausted(f"the gzip stream expands beyond the {self.header.size_bytes} bytes declared")
        if stored > self.header.size_bytes:
            raise DataLoss(f"more than the {self.header.size_bytes} bytes declared; nothing was stored")
        if sent > self.max_bytes:
            raise ResourceExhausted(f"over the limit of {self.max_bytes} bytes per extract")

    def _commit(self, part: bytearray, sent: int, inflater) -> None:
        """Hands a full part to the workers once there is room; the offset moves when it is done."""
        self._settle(keep=PARTS_IN_FLIGHT - 1)
        number = len(self.parts) + len(self._flight) + 1
        entry = _Part(number, len(part), sent, inflater.copy() if inflater else None,
                      self._io.submit(self.store.upload_part, self.bucket, self.key, self.store_upload_id, number,
                                      part),
                      self._work.submit(self._check, part))
        with self._flight_lock:
            self._flight.append(entry)
        self._held += len(part)
        for future in (entry.stored, entry.checked):
            future.add_done_callback(lambda _: self._acknowledge())

    def _check(self, part: bytearray) -> None:
        """Hashes the part and validates it a slice at a time, which keeps the validator's
        temporaries (a few times what it looks at) small."""
        self._sha.update(part)
        view = memoryview(part)
        for start in range(0, len(part), VALIDATE_BYTES):
            self.validator.feed(bytes(view[start:start + VALIDATE_BYTES]))

    def _acknowledge(self) -> None:
        """Moves the offset past every leading part that is stored and checked, in order."""
        with self._flight_lock:
            while self._flight and self._flight[0].stored.done() and self._flight[0].checked.done():
                head = self._flight[0]
                if head.stored.exception() or head.checked.exception():
                    self.broken = True
                    return
                self._flight.popleft()
                self.parts.append((head.number, head.stored.result()))
                self.offset, self.stored, self._inflater = head.sent, self.stored + head.size, head.inflater

    def _wait(self, part: _Part) -> None:
        try:
            part.stored.result()
            part.checked.result()
        except BaseException:
            self.broken = True
            raise
        self._acknowledge()

    def _settle(self, keep: int = 0) -> None:
        """Waits until at most ``keep`` parts are in flight; a failed part leaves the session broken
        (it cannot resume). Each turn waits for a part to finish, so it ends."""
        while True:
            with self._flight_lock:
                if len(self._flight) <= keep:
                    return
                head = self._flight[0]
            self._wait(head)

    def finish(self):
        """Checks the whole extract and makes it visible; returns (artifact ref, rows)."""
        if self.stored != self.header.size_bytes:
            raise DataLoss(f"received {self.stored} bytes, {self.header.size_bytes} declared; nothing was stored")
        if self._sha.hexdigest() != self.header.sha256:
            raise ChecksumMismatch()
        rows = self.validator.finish(self.header.row_count)
        ref = self.store.complete_upload(self.bucket, self.key, self.store_upload_id, self.parts,
                                         sha256=self.header.sha256, size=self.stored)
        return ref, rows

    def abort(self) -> None:
        self.close()
        if self.store_upload_id:
            self.store.abort_upload(self.bucket, self.key, self.store_upload_id)

    def close(self) -> None:
        self._work.shutdown(wait=True)
        self._io.shutdown(wait=True)


class Uploads:
    """The sessions this process holds, by upload id."""

    def __init__(self):
        self._sessions: dict[str, UploadSession] = {}
        self._lock = threading.Lock()

    def add(self, session: UploadSession) -> None:
        with self._lock:
            self._sessions[session.upload_id] = session

    def get(self, upload_id: str) -> UploadSession | None:
        with self._lock:
            return self._sessions.get(upload_id)

    def acquire(self, session: UploadSession, offset: int) -> None:
        """Takes the session for one stream, which must start where the session stands."""
        if not session.lock.acquire(timeout=LOCK_WAIT_S):
            raise FailedPrecondition("another stream is still pushing this upload")
        if session.broken or offset != session.offset:
            session.lock.release()
            raise FailedPrecondition(f"header.offset: resume from offset {session.offset}"
                                     if not session.broken else "this upload failed; start a new push")

    def remove(self, upload_id: str) -> None:
        with self._lock:
            self._sessions.pop(upload_id, None)

    def idle(self, older_than_s: float) -> list[UploadSession]:
        now = time.monotonic()
        with self._lock:
            return [s for s in self._sessions.values() if now - s.touched > older_than_s and not s.lock.locked()]
