"""`make demo`: the whole path in one process on embedded defaults (in-process bus, local
directory store, local Dask), printing what happened."""
from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from services.cli import scenario
from services.cli.clients import PlatformClient, actor_token, anonymity_target
from services.cli.serve import SERVICES, app_for
from services.common import telemetry
from services.common.artifacts import DOCUMENTS, object_key
from services.common.artifacts.local import LocalStore
from services.common.bus.embedded import EmbeddedBus
from services.common.config import Settings
from services.common.identity import TokenIssuer, TokenVerifier, generate_key_pair
from services.common.runtime import Runtime


def start_embedded(root: Path):
    """Starts the four services on ephemeral loopback ports, sharing one bus and one store."""
    private, public = generate_key_pair(root / "keys")
    bus, store = EmbeddedBus(), LocalStore(root / "artifacts")
    store.ensure_buckets()
    verifier = TokenVerifier.from_pem(public)
    apps = {}
    for service in SERVICES:
        settings = Settings(state_dir=root / "state" / service, token_public_key=public)
        apps[service] = app_for(service, Runtime(settings, bus, store, verifier))
        apps[service].start(host="127.0.0.1", port=0)
    addresses = {name: f"127.0.0.1:{app.port}" for name, app in apps.items()}
    return apps, addresses, TokenIssuer.from_pem(private)


def _report_line(store, dataset_id: str) -> str:
    """The processing report in one line: each file's measures and the codes hidden in its remarks."""
    report = json.loads(b"".join(store.read(DOCUMENTS, object_key("report", dataset_id, suffix=".json"))))
    parts = [f"{s['municipality_code']}: measures {'/'.join(m['status'] for m in s['measures'])}, k = {s['k']}, "
             f"{s['measure_5'].get('suppressed', 0)} records suppressed, codes hidden in remarks "
             f"{sum(s['codes_in_extract'].values())}, left {sum(s['codes_in_output'].values())}"
             for s in report["sources"]]
    return "processing report — " + "; ".join(parts)


def main() -> int:
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")  # read when distributed is first imported
    logging.basicConfig(level=logging.WARNING)
    telemetry.setup_tracing("sakusei-demo")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sakusei-demo-") as tmp:
        root = Path(tmp)
        apps, addresses, issuer = start_embedded(root)
        clients: list[PlatformClient] = []

        def client_for(actor: str) -> PlatformClient:
            clients.append(PlatformClient(addresses, actor_token(issuer, actor)))
            return clients[-1]

        try:
            print("sakusei demo: four services on embedded defaults", flush=True)
            result = scenario.run(client_for, root, say=lambda line: print("  " + line, flush=True),
                                  via_proposal=True, plant=3, anonymity=anonymity_target(k=5, suppression_limit_pct=2.0))
            print("  " + _report_line(apps["transform"].runtime.store, result.dataset_id))
            table = pq.read_table(result.dataset_path)
            print(f"  delivered table: {table.num_rows} rows; deleted: {', '.join(scenario.sample.IDENTIFYING)}; "
                  f"processed as contracted: {scenario.sample.REQUESTED}")
            print(table.slice(0, 3).to_pandas().to_string(index=False))
            if set(scenario.sample.IDENTIFYING) & set(table.column_names) or result.pulled_sha256 != result.sha256:
                print("demo FAILED: the delivered dataset is not what was created")
                return 1
        finally:
            for client in clients:
                client.close()
            for app in apps.values():
                app.stop()
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0
