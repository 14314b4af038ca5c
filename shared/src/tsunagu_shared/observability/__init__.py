"""Metrics, traces and logs every service has (docs/observability.md): hooked into the app
factory, the Kafka consumer and publisher, and the infrastructure's periodic work."""

from typing import TYPE_CHECKING

from fastapi import FastAPI

from tsunagu_shared.observability.http import RequestObservation
from tsunagu_shared.observability.tracing import configure_tracing, flush_traces

if TYPE_CHECKING:
    from tsunagu_shared.runtime import Infrastructure
    from tsunagu_shared.settings import ServiceSettings

# Probes and scrapes make no spans (one every few seconds per replica says nothing).
UNTRACED_URLS = "/healthz,/readyz,/metrics"


def observe_app(app: FastAPI) -> None:
    """Count, time, log and trace every request of `app` (call once, when it is built)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    app.add_middleware(RequestObservation)
    # its middleware wraps the whole stack: the request's span is current in ours and in every handler
    FastAPIInstrumentor.instrument_app(app, excluded_urls=UNTRACED_URLS, exclude_spans=["receive", "send"])


def start_observing(settings: "ServiceSettings") -> None:
    """At a service's start (after its logging is configured)."""
    configure_tracing(settings.service_name, settings.otlp_endpoint)


def stop_observing() -> None:
    flush_traces()


def watch_infrastructure(infra: "Infrastructure") -> None:
    """Measure the outbox backlog and the consumer lag of the service every `metrics_probe_seconds`."""
    from tsunagu_shared.observability.kafka import ConsumerLag
    from tsunagu_shared.observability.outbox import OutboxBacklog

    backlog, lag = OutboxBacklog(infra.db), ConsumerLag(infra.settings)

    async def measure_lag() -> None:
        if infra.kafka_started.is_set():
            await lag.measure()

    seconds = infra.settings.metrics_probe_seconds
    infra.every(seconds, backlog.measure, name="outbox_backlog_measured")
    infra.every(seconds, measure_lag, name="consumer_lag_measured")
    infra.add_closer(lag.close)


__all__ = ["RequestObservation", "observe_app", "start_observing", "stop_observing", "watch_infrastructure"]
