"""What notify tells an operator (docs/observability.md): its deliveries by channel and outcome,
provider errors by code, the provider's latency, and the spans of a policy decision and of a
provider call, each continuing the trace of the event that asked for it.

One small function per outcome, so the delivery stage calls one line where it records it."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.trace import Span, SpanKind
from prometheus_client import Counter, Histogram
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.observability.tracing import continued_from, current_trace_context, tracer

from tsunagu_notify.domain.delivery import DeliveryOutcome
from tsunagu_notify.domain.model import changed
from tsunagu_notify.domain.recipient import DeliveryRequested, Effect, Outcome

CHANNELS = ("email", "sms", "line")
OUTCOMES = ("sent", "retried", "failed", "cancelled")

DELIVERIES = Counter("tsunagu_notify_deliveries_total", "Delivery attempts by channel and how they ended "
                     "(sent, retried later, failed for good, cancelled before the send)", ["channel", "outcome"])
PROVIDER_ERRORS = Counter("tsunagu_notify_provider_errors_total", "Provider answers that were not an acceptance, "
                          "by channel and the provider's code (HTTP status, SMTP reply, Twilio error code, "
                          "`unreachable`)", ["channel", "code"])
PROVIDER_LATENCY = Histogram("tsunagu_notify_provider_request_seconds", "Time a provider took to answer a send",
                             ["channel"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
for _channel in CHANNELS:  # every series exists from the start: a ratio over them needs both sides
    for _outcome in OUTCOMES:
        DELIVERIES.labels(_channel, _outcome)
    PROVIDER_LATENCY.labels(_channel)


def delivery_outcome(outcome: DeliveryOutcome) -> None:
    """Count a committed outcome of the channel workers (a retry is counted as `retried`), and the
    provider's code behind a retry or a failure."""
    name = {"retrying": "retried"}.get(outcome.status, outcome.status)
    if name in OUTCOMES:
        DELIVERIES.labels(outcome.channel, name).inc()
    if name in ("retried", "failed") and outcome.provider_code:
        PROVIDER_ERRORS.labels(outcome.channel, outcome.provider_code).inc()


def provider_code(error: BaseException) -> str:
    """The provider's own code behind a channel's error (bounded: codes the providers define)."""
    for cause in (error, error.__cause__):
        if cause is None:
            continue
        for attribute in ("code", "status", "smtp_code"):
            value = getattr(cause, attribute, None)
            if isinstance(value, int) and 100 <= value < 100_000:
                return str(value)
        if isinstance(cause, OSError):
            return "unreachable"
    return "other"


@contextmanager
def delivering(request: DeliveryRequested, attempt: int) -> Iterator[Span]:
    """The span of one attempt at a delivery, continuing the trace of the decision that asked for
    it (the request carries its `traceparent`): the events it records belong to that trace too."""
    carrier = {"traceparent": request.traceparent, "tracestate": request.tracestate}
    with continued_from(carrier, "notify deliver", attributes={
            "tsunagu.delivery.key": request.key, "tsunagu.delivery.channel": request.channel,
            "tsunagu.delivery.attempt": attempt}) as span:
        yield span


@contextmanager
def provider_call(channel: str) -> Iterator[Span]:
    """The span and the timing of one call to a provider (inside `delivering`)."""
    started = time.perf_counter()
    with tracer().start_as_current_span(f"send {channel}", kind=SpanKind.CLIENT,
                                        attributes={"tsunagu.delivery.channel": channel}) as span:
        try:
            yield span
        except BaseException as exc:
            span.set_attribute("tsunagu.provider.code", provider_code(exc))
            raise
        finally:
            PROVIDER_LATENCY.labels(channel).observe(time.perf_counter() - started)


@contextmanager
def deciding(envelope: Envelope, intent_id: str) -> Iterator[Span]:
    """The span of the policy deciding one intent, a child of the span that requested it."""
    with continued_from(envelope, "notify decide", attributes={"tsunagu.intent_id": intent_id}) as span:
        yield span


def decided(span: Span, outcome: Outcome | None) -> Outcome | None:
    """Name the decision on its span, and give each delivery it asks for the span's trace context."""
    if outcome is None:
        span.set_attribute("tsunagu.decision.action", "already_decided")
        return None
    if outcome.decision is not None:
        span.set_attribute("tsunagu.decision.action", outcome.decision.action.value)
        span.set_attribute("tsunagu.decision.reason", outcome.decision.reason.value)
        if outcome.decision.channel:
            span.set_attribute("tsunagu.decision.channel", str(outcome.decision.channel))
    traceparent, tracestate = current_trace_context()
    effects: list[Effect] = [changed(e, traceparent=traceparent, tracestate=tracestate)
                             if e.kind == "delivery" else e for e in outcome.effects]
    outcome.effects = effects
    return outcome
