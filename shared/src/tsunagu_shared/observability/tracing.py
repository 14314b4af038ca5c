"""Traces with OpenTelemetry: one trace from an HTTP request through the outbox, Kafka and every
consumer that continues it (docs/observability.md).

- Every process has an SDK tracer provider, so that each request and each consumed event has
  trace and span ids (in its log lines and in the envelopes it writes) even when nothing is
  exported; spans are recorded only while something exports them (parent-based, always on). Spans are
  exported over OTLP/HTTP only when an endpoint is configured
  (`TSUNAGU_OTLP_ENDPOINT` or the standard `OTEL_EXPORTER_OTLP_ENDPOINT`); the aiokafka
  instrumentation (send and receive spans) is switched on with the export.
- An envelope carries the W3C `traceparent` (and `tracestate`) of the code that created it,
  the CloudEvents distributed-tracing extension: it survives the outbox (the envelope is
  stored as it is), and any subscriber continues the trace from it (`continued_from`).
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes
from structlog.typing import EventDict
from tsunagu_contracts import envelope as envelopes

from tsunagu_shared.envelope import Envelope

log = structlog.get_logger(__name__)

TRACER_NAME = "tsunagu"
_PROPAGATOR = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None
_tracer: trace.Tracer | None = None
_exporting = False  # Kafka's clients are instrumented
_exporting_spans = False  # a span processor receives what is recorded


class _RecordWhenExported(Sampler):
    """Spans are recorded (and sampled, parent-based) only while something exports them; otherwise
    they are created unrecorded, which costs next to nothing but still gives ids to propagate."""

    def __init__(self) -> None:
        self._exported = ParentBased(root=ALWAYS_ON)

    def should_sample(self, parent_context: otel_context.Context | None, trace_id: int, name: str,
                      kind: SpanKind | None = None, attributes: Attributes = None,
                      links: Sequence[Link] | None = None, trace_state: TraceState | None = None) -> SamplingResult:
        sampler = self._exported if _exporting_spans else ALWAYS_OFF
        return sampler.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return "RecordWhenExported"


def tracer_provider(service: str = "tsunagu") -> TracerProvider:
    """This process's provider, made on first use (the first service of a process names it)."""
    global _provider
    if _provider is None:
        _provider = TracerProvider(resource=Resource.create({"service.name": service}), sampler=_RecordWhenExported())
        trace.set_tracer_provider(_provider)
        envelopes.trace_context_from(current_trace_context)
    return _provider


def tracer() -> trace.Tracer:
    global _tracer
    if _tracer is None:  # (made once: getting a tracer costs more than a span)
        _tracer = tracer_provider().get_tracer(TRACER_NAME)
    return _tracer


def configure_tracing(service: str, otlp_endpoint: str | None) -> None:
    """At a service's start: the provider, and the OTLP export when an endpoint is configured."""
    tracer_provider(service)
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        export_spans(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")))
        log.info("traces_exported", endpoint=otlp_endpoint)


def export_spans(processor: SpanProcessor) -> None:
    """Send finished spans to `processor` (the OTLP export; a test's in-memory exporter), and
    trace Kafka's sends and receives too from now on."""
    global _exporting, _exporting_spans
    tracer_provider().add_span_processor(processor)
    _exporting_spans = True
    if not _exporting:
        from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor

        AIOKafkaInstrumentor().instrument(tracer_provider=tracer_provider())
        _exporting = True


def export_spans_to(exporter: SpanExporter) -> None:
    """Every span, as it ends, to `exporter` (tests: an `InMemorySpanExporter`)."""
    export_spans(SimpleSpanProcessor(exporter))


def stop_exporting() -> None:
    """Record no more spans and undo the aiokafka instrumentation (a test that exported spans,
    when it is done; its exporter is shut down by the test)."""
    global _exporting, _exporting_spans
    _exporting_spans = False
    if _exporting:
        from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor

        AIOKafkaInstrumentor().uninstrument()
        _exporting = False


def flush_traces() -> None:
    if _provider is not None:
        _provider.force_flush(timeout_millis=5000)


def current_trace_context() -> tuple[str | None, str | None]:
    """The W3C traceparent and tracestate of the current span (None, None outside any)."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent"), carrier.get("tracestate")


def context_of(envelope: Envelope | dict[str, Any]) -> otel_context.Context:
    """The trace context an envelope (or a document keeping a `traceparent`) continues; empty without one."""
    def get(name: str) -> object:
        return envelope.get(name) if isinstance(envelope, dict) else getattr(envelope, name, None)

    carrier = {k: v for k in ("traceparent", "tracestate") if isinstance(v := get(k), str)}
    return _PROPAGATOR.extract(carrier, context=otel_context.Context())


@contextmanager
def continued_from(carrier: Envelope | dict[str, Any], name: str, *, kind: SpanKind = SpanKind.INTERNAL,
                   attributes: dict[str, Any] | None = None) -> Iterator[Span]:
    """A span of this process continuing the trace the envelope (or document) carries, current
    while the block runs (log lines and the envelopes written in it carry it)."""
    with tracer().start_as_current_span(name, context=context_of(carrier), kind=kind,
                                        attributes=attributes or {}) as span:
        yield span


@contextmanager
def attached(carrier: Envelope | dict[str, Any]) -> Iterator[None]:
    """Make the carried trace context current without a span of its own (a send of the relay:
    the producer's span then belongs to the trace of the event it sends)."""
    token = otel_context.attach(context_of(carrier))
    try:
        yield
    finally:
        otel_context.detach(token)


def add_trace_ids(_: object, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the current trace and span ids on every line written inside a span."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict
