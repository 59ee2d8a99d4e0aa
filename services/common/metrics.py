"""The platform's metrics, one place for their names, units and meanings.

Instruments come from the global meter, so they report to whatever provider
``telemetry.setup_metrics`` installed (none: they cost nothing).
"""
from __future__ import annotations

from opentelemetry import metrics

_meter = metrics.get_meter("sakusei")

extracts_received = _meter.create_counter(
    "sakusei.extracts.received", unit="{extract}", description="extracts stored after their sha256 matched")
extract_bytes_received = _meter.create_counter(
    "sakusei.extracts.bytes", unit="By", description="bytes of extracts stored")
rows_processed = _meter.create_counter(
    "sakusei.rows.processed", unit="{row}", description="rows written into created datasets")
jobs_finished = _meter.create_counter(
    "sakusei.jobs.finished", unit="{job}", description="creation jobs ended, by outcome (succeeded, failed)")
pulls = _meter.create_counter(
    "sakusei.pulls", unit="{pull}", description="dataset pulls, by outcome (ok or the refusal)")
rpc_duration = _meter.create_histogram(
    "sakusei.rpc.duration", unit="ms", description="server-side duration of each RPC, by method and status")
job_duration = _meter.create_histogram(
    "sakusei.job.duration", unit="s", description="wall time of creation jobs")
cases_open = _meter.create_up_down_counter(
    "sakusei.cases.open", unit="{case}",
    description="recall, misuse and contract-end cases not yet closed (delivery), by kind")
cases_opened = _meter.create_counter(
    "sakusei.cases.opened", unit="{case}", description="recall, misuse and contract-end cases opened, by kind")
