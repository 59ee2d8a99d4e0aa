"""Running one service as its own process, configured by the environment."""
from __future__ import annotations

import logging

from services.common import telemetry
from services.common.memory import tune_malloc
from services.common.config import Settings
from services.common.runtime import Runtime, ServiceApp, run_until_signalled

SERVICES = ("intake", "review", "transform", "delivery")


def app_for(service: str, runtime: Runtime) -> ServiceApp:
    if service == "intake":
        from services.intake.app import IntakeApp
        return IntakeApp(runtime)
    if service == "review":
        from services.review.app import ReviewApp
        return ReviewApp(runtime)
    if service == "transform":
        from services.transform.app import TransformApp
        return TransformApp(runtime)
    if service == "delivery":
        from services.delivery.app import DeliveryApp
        return DeliveryApp(runtime)
    raise SystemExit(f"unknown service {service!r}; one of {', '.join(SERVICES)}")


def serve(service: str) -> None:
    tune_malloc()
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")
    telemetry.setup_tracing(f"sakusei-{service}")
    telemetry.setup_metrics(f"sakusei-{service}")
    settings = Settings.from_env(service)
    poll_ms = 3_600_000 if service == "transform" else 300_000
    run_until_signalled(app_for(service, Runtime.from_settings(service, settings, max_poll_interval_ms=poll_ms)))
