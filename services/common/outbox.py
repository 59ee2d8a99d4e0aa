"""The transactional outbox: an event is written in the same transaction as the state it
announces, then relayed to the bus. So no event is published for work that did not commit, and
no committed work goes unannounced (a crash between commit and publish is caught up on restart).
"""
from __future__ import annotations

import logging
import threading

from sqlalchemy import (Boolean, Column, Connection, Engine, Integer, LargeBinary, MetaData, String, Table, insert,
                        select, update)

from services.common.bus import EventBus
from services.common.pb.sakusei.v1 import events_pb2

log = logging.getLogger(__name__)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox", metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("envelope", LargeBinary, nullable=False),
        Column("published", Boolean, nullable=False, default=False, index=True),
    )


class Outbox:
    def __init__(self, engine: Engine, table: Table, bus: EventBus):
        self.engine, self.table, self.bus = engine, table, bus
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._relay_lock = threading.Lock()

    def add(self, conn: Connection, envelope: events_pb2.EventEnvelope) -> None:
        """Queues an event inside the caller's transaction."""
        conn.execute(insert(self.table).values(event_id=envelope.event_id, envelope=envelope.SerializeToString(),
                                               published=False))
        self._wake.set()

    def relay_once(self, limit: int = 100) -> int:
        """Publishes what is pending, in order; returns how many were sent.

        Each event is claimed with ``FOR UPDATE SKIP LOCKED`` in its own short transaction, so
        replicas sharing a PostgreSQL database never send the same event (SQLite, one process
        per database, ignores the clause and is serialized by the lock).
        """
        sent = 0
        with self._relay_lock:
            while sent < limit:
                with self.engine.begin() as conn:
                    row = conn.execute(select(self.table.c.seq, self.table.c.envelope)
                                       .where(self.table.c.published.is_(False)).order_by(self.table.c.seq)
                                       .limit(1).with_for_update(skip_locked=True)).first()
                    if row is None:
                        return sent
                    self.bus.publish(events_pb2.EventEnvelope.FromString(row.envelope))
                    conn.execute(update(self.table).where(self.table.c.seq == row.seq).values(published=True))
                sent += 1
        return sent

    def start(self) -> "Outbox":
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            try:
                while self.relay_once():
                    pass
            except Exception as exc:  # noqa: BLE001 - the bus may be down; pending events are retried
                log.warning("outbox relay failed, will retry: %s", type(exc).__name__)
                self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        try:
            self.relay_once()
        except Exception as exc:  # noqa: BLE001 - what is left is sent at the next start
            log.warning("outbox not drained at stop: %s", type(exc).__name__)
