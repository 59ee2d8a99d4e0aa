"""The `sakusei` command as its users type it, against the running platform."""
from __future__ import annotations

import json

import grpc
import pytest
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from services.cli import main
from services.cli.clients import actor_token


@pytest.fixture
def sakusei(platform, monkeypatch, capsys):
    for name, address in platform.addresses.items():
        monkeypatch.setenv(f"SAKUSEI_{name.upper()}_ADDRESS", address)

    def run(actor: str | None, *argv: str) -> tuple[int, str, str]:
        token = ["--token", actor_token(platform.issuer, actor)] if actor else []
        code = main([*token, *argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_a_municipality_registers_a_file_and_lists_its_requests(sakusei):
    code, out, _ = sakusei("municipality:131016", "municipality", "register-file", "--client-request-id", "cli-1",
                           "--file-name", "介護保険ファイル", "--purpose", "介護保険の給付", "--item",
                           "氏名:TEXT:IDENTIFIER", "--item", "要介護度:CODE:QUASI_IDENTIFIER", "--persons", "1200")
    assert code == 0
    entry = json.loads(out)
    assert entry["municipalityCode"] == "131016" and [i["name"] for i in entry["items"]] == ["氏名", "要介護度"]
    code, out, _ = sakusei("municipality:131016", "municipality", "requests")
    assert code == 0 and '"requestId"' in out


def test_a_business_pulls_with_verification(sakusei, platform, tmp_path):
    out_file = tmp_path / "dataset.parquet"
    code, out, _ = sakusei("business:acme-research", "business", "pull", platform.result.dataset_id,
                           "--out", str(out_file))
    assert code == 0 and "verified" in out and out_file.stat().st_size > 0


def test_refusals_are_reported_with_their_status_and_exit_code(sakusei, platform):
    code, _, err = sakusei("business:someone-else", "business", "pull", platform.result.dataset_id, "--out", "x")
    assert code == 1 and "PERMISSION_DENIED" in err
    code, _, err = sakusei(None, "business", "datasets")
    assert code == 2 and "token" in err


def test_services_describe_themselves_through_reflection(platform):
    with grpc.insecure_channel(platform.addresses["delivery"]) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        assert "sakusei.v1.DeliveryService" in set(database.get_services())
