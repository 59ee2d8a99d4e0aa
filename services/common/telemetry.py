"""OpenTelemetry set-up: traces, their propagation across gRPC and Kafka hops, and metrics.

The trace exporter is chosen by ``OTEL_TRACES_EXPORTER``: ``otlp`` (to
``OTEL_EXPORTER_OTLP_ENDPOINT``), ``console`` (to stdout, or to the file named by
``SAKUSEI_TRACE_FILE``, one JSON span a line), or ``none``; metrics likewise by
``OTEL_METRICS_EXPORTER`` (``otlp``, ``console`` or ``none``). Span and metric attributes carry
ids and outcomes only, never personal data.
"""
from __future__ import annotations

import json
import os
from typing import Mapping

from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor,
                                            SpanExporter)

_configured = False
_metrics_configured = False


def _console_exporter() -> SpanExporter:
    path = os.environ.get("SAKUSEI_TRACE_FILE")
    if not path:
        return ConsoleSpanExporter()
    stream = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    return ConsoleSpanExporter(out=stream, formatter=lambda span: json.dumps(json.loads(span.to_json())) + "\n")


def setup_tracing(service_name: str, exporter: SpanExporter | None = None) -> None:
    """Installs the process's tracer provider once; later calls are no-ops."""
    global _configured
    if _configured:
        return
    name = os.environ.get("OTEL_SERVICE_NAME", service_name)
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    choice = os.environ.get("OTEL_TRACES_EXPORTER", "none").lower()
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif choice == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif choice == "console":
        provider.add_span_processor(SimpleSpanProcessor(_console_exporter()))
    trace.set_tracer_provider(provider)
    _configured = True


def setup_metrics(service_name: str, reader: MetricReader | None = None) -> None:
    """Installs the process's meter provider once; later calls are no-ops."""
    global _metrics_configured
    if _metrics_configured:
        return
    readers: list[MetricReader] = [reader] if reader is not None else []
    choice = os.environ.get("OTEL_METRICS_EXPORTER", "none").lower()
    if reader is None and choice == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    elif reader is None and choice == "console":
        readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter(), export_interval_millis=60_000))
    name = os.environ.get("OTEL_SERVICE_NAME", service_name)
    metrics.set_meter_provider(MeterProvider(resource=Resource.create({"service.name": name}),
                                             metric_readers=readers))
    _metrics_configured = True


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def inject() -> dict[str, str]:
    """The current trace context as a carrier for gRPC metadata, Kafka headers or an envelope."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def extract(carrier: Mapping[str, str]) -> otel_context.Context:
    return propagate.extract(dict(carrier))


def shutdown() -> None:
    for provider in (trace.get_tracer_provider(), metrics.get_meter_provider()):
        if hasattr(provider, "shutdown"):
            provider.shutdown()
