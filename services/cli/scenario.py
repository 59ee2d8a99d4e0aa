"""The platform's main job, driven through its gRPC API as its users would drive it:
municipalities register files, an operator records a contract, each municipality answers its
data request with an extract, the organization creates the dataset, the business pulls it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from services.cli import sample
from services.cli.clients import PlatformClient, contract_request
from services.common.bus.base import wait_until

MUNICIPALITIES = ("131016", "011002", "271004")  # 千代田区, 札幌市, 大阪市


@dataclass
class ScenarioResult:
    contract_id: str = ""
    dataset_id: str = ""
    rows: int = 0
    items: list[str] = field(default_factory=list)
    sha256: str = ""
    pulled_sha256: str = ""
    pulled_path: Path | None = None
    pushed: dict[str, str] = field(default_factory=dict)
    push_trace_ids: dict[str, str] = field(default_factory=dict)
    pull_trace_id: str = ""


def run(client_for: Callable[[str], PlatformClient], workdir: Path, rows_per_file: int = 400,
        municipalities: tuple[str, ...] = MUNICIPALITIES, business: str = "acme-research",
        say: Callable[[str], None] = print, timeout_s: float = 120, tag: str = "demo") -> ScenarioResult:
    result = ScenarioResult()
    files = {}
    for code in municipalities:
        entry = client_for(f"municipality:{code}").register_file(
            sample.register_request(f"{tag}-file-{code}", "国民健康保険被保険者ファイル", rows_per_file))
        files[code] = entry.file_id
        say(f"municipality {code} registered file {entry.file_id} ({len(entry.items)} items)")
    now = datetime.now(timezone.utc)
    contract = client_for("operator").conclude_contract(contract_request(
        f"{tag}-contract", business, "保険料と年齢層の地域比較研究",
        [(code, files[code], sample.REQUESTED) for code in municipalities], now - timedelta(minutes=1),
        now + timedelta(days=365), max_downloads=3))
    result.contract_id = contract.contract_id
    say(f"operator concluded contract {contract.contract_id} with {business}")
    for index, code in enumerate(municipalities):
        municipality = client_for(f"municipality:{code}")
        result.pushed[code] = _answer_request(municipality, contract.contract_id, workdir, rows_per_file,
                                              seed=index, timeout_s=timeout_s)
        result.push_trace_ids[code] = municipality.last_trace_id
        say(f"municipality {code} pushed its extract ({rows_per_file} rows, sha256 {result.pushed[code][:12]}…)")
    buyer = client_for(f"business:{business}")
    if not wait_until(lambda: any(d.contract_id == contract.contract_id for d in buyer.datasets()), timeout_s, 0.25):
        raise TimeoutError("the dataset was not registered in time")
    dataset = next(d for d in buyer.datasets() if d.contract_id == contract.contract_id)
    result.dataset_id, result.rows, result.items, result.sha256 = (dataset.dataset_id, dataset.number_of_persons,
                                                                   list(dataset.items), dataset.sha256)
    say(f"dataset {dataset.dataset_id} registered: {dataset.number_of_persons} persons, items {', '.join(dataset.items)}")
    result.pulled_path = workdir / f"{dataset.dataset_id}.parquet"
    result.pulled_sha256 = buyer.pull(dataset.dataset_id, result.pulled_path).sha256
    result.pull_trace_id = buyer.last_trace_id
    say(f"business {business} pulled {result.pulled_path.stat().st_size} bytes, sha256 verified")
    return result


def _answer_request(municipality: PlatformClient, contract_id: str, workdir: Path, rows: int, seed: int,
                    timeout_s: float) -> str:
    def find():
        return [r for r in municipality.data_requests(open_only=True) if r.contract_id == contract_id]

    if not wait_until(lambda: bool(find()), timeout_s, 0.1):
        raise TimeoutError("the data request did not reach the municipality in time")
    request = find()[0]
    path = workdir / f"extract-{request.request_id}.csv"
    sample.write_extract(path, rows, seed)
    municipality.push_extract(request.request_id, path, "utf-8", rows)
    return hashlib.sha256(path.read_bytes()).hexdigest()
