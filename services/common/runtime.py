"""How a service process is put together: its infrastructure adapters and its lifecycle.

The same service code runs on Kafka + MinIO (when configured) or on the embedded bus and the
local store (for `make demo`); the choice is made here and nowhere else.
"""
from __future__ import annotations

import logging
import signal
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import ModuleType

import grpc
from services.common import telemetry
from services.common.artifacts import ArtifactStore
from services.common.artifacts.local import LocalStore
from services.common.artifacts.minio_store import MinioStore
from services.common.audit import AuditTrail
from services.common.bus import Consumer, EventBus
from services.common.bus.embedded import EmbeddedBus
from services.common.bus.kafka import KafkaBus
from services.common.config import Settings
from services.common.db import make_engine
from services.common.grpc_edge import build_server
from services.common.identity import TokenVerifier
from services.common.outbox import Outbox

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    bus: EventBus
    store: ArtifactStore
    verifier: TokenVerifier

    @classmethod
    def from_settings(cls, service: str, settings: Settings, *, max_poll_interval_ms: int = 300_000) -> "Runtime":
        if settings.token_public_key is None:
            raise SystemExit("SAKUSEI_TOKEN_PUBLIC_KEY must name the token verification key (see README)")
        if settings.kafka_bootstrap:
            bus: EventBus = KafkaBus(settings.kafka_bootstrap, client_id=f"sakusei-{service}",
                                     max_poll_interval_ms=max_poll_interval_ms,
                                     group_prefix=settings.consumer_group_prefix,
                                     new_groups_at_end=settings.new_groups_at_end)
            bus.ensure_topics()
        else:
            bus = EmbeddedBus()
        store = MinioStore(settings.s3) if settings.s3 else LocalStore(settings.state_dir.parent / "artifacts")
        store.ensure_buckets()
        return cls(settings, bus, store, TokenVerifier.from_pem(settings.token_public_key))


class ServiceApp(ABC):
    """One service: its gRPC server, its event consumers and its outbox relay.

    ``schema`` is the service's store module: its ``metadata`` (tables) and its ``outbox`` table.
    """

    name: str = ""
    schema: ModuleType

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        settings = runtime.settings
        self.engine = make_engine(settings.state_dir, self.name, settings.database_url)
        self.migrate()
        self.outbox = Outbox(self.engine, self.schema.outbox, runtime.bus)
        self.audit = AuditTrail(self.name, self.outbox)
        self.port = 0
        self._server: grpc.Server | None = None
        self._consumers: list[Consumer] = []

    def migrate(self) -> None:
        """Brings the service's tables up to date; a service with versioned migrations overrides this."""
        self.schema.metadata.create_all(self.engine)

    @abstractmethod
    def register(self, server: grpc.Server) -> list[str]:
        """Adds the servicers; returns their full service names."""

    def consumers(self) -> list[Consumer]:
        return []

    def start(self, host: str | None = None, port: int | None = None) -> int:
        settings = self.runtime.settings
        names: list[str] = []
        self._server, self.port = build_server(host or settings.grpc_host,
                                               settings.grpc_port if port is None else port,
                                               lambda server: names.extend(self.register(server)), names)
        self.outbox.start()
        self._consumers = [c.start() for c in self.consumers()]
        self._server.start()
        log.info("%s serving on port %d", self.name, self.port)
        return self.port

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=5).wait(10)
        for consumer in self._consumers:
            consumer.stop()
        self.outbox.stop()


def run_until_signalled(app: ServiceApp) -> None:
    """Serves until SIGTERM or SIGINT, then stops cleanly."""
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    app.start()
    done.wait()
    app.stop()
    app.runtime.bus.close()
    telemetry.shutdown()

