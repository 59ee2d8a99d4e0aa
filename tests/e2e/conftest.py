"""A platform on embedded defaults, driven over gRPC on loopback as its users drive it."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.cli import scenario
from services.cli.clients import PlatformClient, actor_token
from services.cli.demo import start_embedded


@dataclass
class Platform:
    apps: dict
    addresses: dict
    issuer: object
    result: scenario.ScenarioResult

    def client(self, actor: str) -> PlatformClient:
        return PlatformClient(self.addresses, actor_token(self.issuer, actor))


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    root = tmp_path_factory.mktemp("platform")
    apps, addresses, issuer = start_embedded(root)
    made: list[PlatformClient] = []

    def client_for(actor):
        made.append(PlatformClient(addresses, actor_token(issuer, actor)))
        return made[-1]

    try:
        result = scenario.run(client_for, root, rows_per_file=50, municipalities=("131016", "011002"),
                              say=lambda _: None, timeout_s=60)
        yield Platform(apps, addresses, issuer, result)
    finally:
        for client in made:
            client.close()
        for app in apps.values():
            app.stop()
