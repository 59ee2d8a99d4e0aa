"""OpenTelemetry set-up and the propagation of trace context across gRPC and Kafka hops.

The exporter is chosen by ``OTEL_TRACES_EXPORTER``: ``otlp`` (to ``OTEL_EXPORTER_OTLP_ENDPOINT``),
``console`` (to stdout, or to the file named by ``SAKUSEI_TRACE_FILE``, one JSON span a line),
or ``none``. Span attributes carry ids only, never personal data.
"""
from __future__ import annotations

import json
import os
from typing import Mapping

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor,
                                            SpanExporter)

_configured = False


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
    provider = trace.get_tracer_provider()
    if hasattr(provider, "shutdown"):
        provider.shutdown()
