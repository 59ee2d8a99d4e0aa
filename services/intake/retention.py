"""Deletion when the retention period ends: receipt records after 3 years, and uploads that were
abandoned (their parts in the store). Run periodically by the intake process; the clock is the
context's, so tests can move time."""
from __future__ import annotations

import logging
import threading

from services.intake import domain, store
from services.intake.app_context import IntakeContext
from services.intake.pushes import Pushes

log = logging.getLogger(__name__)


def sweep_receipts(ctx: IntakeContext) -> int:
    """Deletes the receipt records whose 3 years are over; each deletion is audited."""
    cutoff = domain.receipt_cutoff(ctx.clock())
    with ctx.engine.begin() as conn:
        expired = store.receipts_received_before(conn, cutoff)
        for receipt_id in expired:
            store.delete_receipt(conn, receipt_id)
            ctx.audit.record(conn, "service:intake", "delete_receipt_record", "receipt_record", receipt_id)
    return len(expired)


class Sweeper:
    """A thread that sweeps every ``interval_s`` until stopped."""

    def __init__(self, ctx: IntakeContext, pushes: Pushes):
        self.ctx, self.pushes = ctx, pushes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self) -> tuple[int, int]:
        return sweep_receipts(self.ctx), self.pushes.sweep()

    def start(self) -> "Sweeper":
        self._thread = threading.Thread(target=self._run, name="intake-retention", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                receipts, uploads = self.sweep()
                if receipts or uploads:
                    log.info("retention: %d receipt records deleted, %d uploads aborted", receipts, uploads)
            except Exception as exc:  # noqa: BLE001 - the next sweep tries again
                log.warning("retention sweep failed: %s", type(exc).__name__)
            self._stop.wait(self.ctx.settings.sweep_interval_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
