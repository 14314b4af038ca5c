"""One scout followed from the recruiter's request to the LINE push: a single trace through
scout's outbox, Kafka, notify's intake, its policy decision and the provider call.

scout and notify run in this process (as every integration test runs its services), on the
real broker and database, with the provider emulators; finished spans go to an in-memory
exporter."""

from datetime import UTC, datetime

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from tsunagu_notify.testing import NotifyHarness, jst
from tsunagu_scout.config import ScoutSettings
from tsunagu_scout.entrypoints.api import create_app as scout_app
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ProfileCreated
from tsunagu_shared.observability import tracing
from tsunagu_shared.testing import bearer, isolated_settings, running_service, unique_prefix

pytestmark = pytest.mark.slow


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    tracing.export_spans_to(exporter)
    try:
        yield exporter
    finally:
        tracing.stop_exporting()
        exporter.shutdown()  # keeps nothing more of the later tests' spans


async def test_one_scout_is_one_trace_from_the_request_to_the_line_push(spans):
    prefix = unique_prefix()
    async with NotifyHarness(start=jst(2, 12), topic_prefix=prefix) as notify:
        await notify.register("cand-1")
        settings = isolated_settings(ScoutSettings, prefix=prefix)
        app = scout_app(settings)
        async with running_service(app) as scout:
            admin = bearer(settings, role="admin", subject="admin-1")
            body = {"company_id": "acme", "name": "Acme株式会社",
                    "plan": {"name": "standard", "monthly_quota": {"regular": 10, "premium": 2}, "max_awaiting": 5}}
            assert (await scout.post("/admin/companies", json=body, headers=admin)).status_code == 201
            assert (await scout.put("/admin/companies/acme/recruiters/rec-1", json={"display_name": "Sato"},
                                    headers=admin)).status_code == 200
            await app.state.container.events.on_event(Envelope.wrap(ProfileCreated(
                candidate_id="cand-1", display_name="Hanako", self_pr="I lead our robotics club",
                created_at=datetime.now(UTC)),
                source="tests/profile"))
            recruiter = bearer(settings, role="recruiter", subject="rec-1", company_id="acme")
            sent = await scout.post("/scouts", json={"candidate_id": "cand-1", "reason": "Your robotics club work"},
                                    headers=recruiter)
            assert sent.status_code == 201, sent.text
            await notify.until(lambda: notify.recorder.sent("line"))
            await notify.until(lambda: _named(spans, "send line") and _named(spans, "notify deliver"))

    [request] = [s for s in spans.get_finished_spans()
                 if s.kind == SpanKind.SERVER and s.attributes.get("http.route") == "/scouts"]
    trace_id = request.context.trace_id
    trace = [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]
    names = [s.name for s in trace]
    # the request, scout's outbox sending ScoutSent, notify's intake, the intent through the outbox,
    # the policy's decision, the delivery and its provider call: all in one trace
    for expected in ("POST /scouts", "process ScoutSent", "notify decide", "notify deliver", "send line"):
        assert expected in names, (expected, names)
    sends = [s for s in trace if s.kind == SpanKind.PRODUCER]
    assert {s.attributes.get("messaging.destination.name") for s in sends} >= {
        f"{prefix}scout.events", f"{prefix}notify.intents"}, [s.attributes for s in sends]
    [decision] = [s for s in trace if s.name == "notify decide"]
    assert (decision.attributes["tsunagu.decision.action"], decision.attributes["tsunagu.decision.reason"]) == (
        "send", "allowed")
    # every span hangs from another of the same trace, up to the request: nothing started a trace of its own
    ids = {s.context.span_id for s in trace}
    orphans = [s.name for s in trace if s is not request and (s.parent is None or s.parent.span_id not in ids)]
    assert orphans == [], orphans
    assert request.parent is None
    # the provider call is the decision's descendant, the decision the intake's
    by_id = {s.context.span_id: s for s in trace}
    line = next(s for s in trace if s.name == "send line")
    assert "notify decide" in _ancestors(line, by_id) and "process ScoutSent" in _ancestors(line, by_id)


def _named(exporter: InMemorySpanExporter, name: str) -> bool:
    return any(s.name == name for s in exporter.get_finished_spans())


def _ancestors(span, by_id) -> list[str]:
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names
