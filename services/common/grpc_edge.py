"""The gRPC edge shared by every service: authentication, roles, spans and status codes.

Servicer methods are decorated with ``@rpc(Role…)`` (unary response) or ``@streaming_rpc(Role…)``
(server streaming). The decorator verifies the caller's token, checks the role, continues the
caller's trace, passes the ``Actor`` to the method, and turns domain errors into the status codes
they name. Any other exception becomes INTERNAL with an error id, its details only in the log.
"""
from __future__ import annotations

import functools
import logging
import time
import uuid
from concurrent import futures
from contextlib import contextmanager
from typing import Callable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry import trace

from services.common import metrics, telemetry
from services.common.errors import DomainError, Unauthenticated
from services.common.identity import Actor, Role, TokenVerifier, require

log = logging.getLogger(__name__)
AUTHORIZATION = "authorization"


def caller(context: grpc.ServicerContext, verifier: TokenVerifier) -> Actor:
    metadata = dict(context.invocation_metadata())
    scheme, _, token = metadata.get(AUTHORIZATION, "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("a bearer token is required")
    return verifier.verify(token)


def _abort(context: grpc.ServicerContext, error: BaseException) -> None:
    if isinstance(error, DomainError):
        context.abort(getattr(grpc.StatusCode, error.code_name), str(error))
    error_id = uuid.uuid4().hex[:12]
    log.exception("internal error %s", error_id)
    context.abort(grpc.StatusCode.INTERNAL, f"internal error {error_id}")


@contextmanager
def _observed(method: Callable, context: grpc.ServicerContext):
    """A server span continuing the caller's trace, and the call's duration by outcome."""
    parent = telemetry.extract(dict(context.invocation_metadata()))
    started, outcome = time.monotonic(), "OK"
    with telemetry.tracer(method.__module__).start_as_current_span(
            method.__qualname__, context=parent, kind=trace.SpanKind.SERVER) as span:
        try:
            yield span
        except Exception as exc:
            outcome = exc.code_name if isinstance(exc, DomainError) else "INTERNAL"
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            metrics.rpc_duration.record((time.monotonic() - started) * 1000,
                                        {"rpc.method": method.__qualname__, "rpc.status": outcome})


def _authorized(self, context: grpc.ServicerContext, span, roles: tuple[Role, ...]) -> Actor:
    actor = caller(context, self.verifier)
    span.set_attribute("sakusei.actor", str(actor))
    require(actor, *roles)
    return actor


def rpc(*roles: Role):
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, request, context):
            try:
                with _observed(method, context) as span:
                    return method(self, request, context, _authorized(self, context, span, roles))
            except Exception as exc:  # noqa: BLE001 - every failure gets a status code
                _abort(context, exc)
        return wrapper
    return decorate


def streaming_rpc(*roles: Role):
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, request, context):
            try:
                with _observed(method, context) as span:
                    yield from method(self, request, context, _authorized(self, context, span, roles))
            except Exception as exc:  # noqa: BLE001 - every failure gets a status code
                _abort(context, exc)
        return wrapper
    return decorate


# A stream's receive window is fixed at 4 MiB: with the window sized by bandwidth probing, a
# client stream whose handler paused (a part waiting for the store) let the transport buffer
# hundreds of MiB ahead of it now and then; a fixed window bounds what one stream holds.
SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", 8 << 20),
    ("grpc.http2.bdp_probe", 0),
    ("grpc.http2.lookahead_bytes", 4 << 20),
]


def build_server(host: str, port: int, register: Callable[[grpc.Server], None], service_names: list[str],
                 max_workers: int = 16) -> tuple[grpc.Server, int]:
    """A server with the given servicers, health checking and reflection; returns the bound port."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers), options=SERVER_OPTIONS)
    register(server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ["", *service_names]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection([*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    bound = server.add_insecure_port(f"{host}:{port}")
    return server, bound


def call_metadata(token: str) -> list[tuple[str, str]]:
    """Metadata for an outgoing call: the caller's token and the current trace context."""
    return [(AUTHORIZATION, f"Bearer {token}"), *telemetry.inject().items()]
