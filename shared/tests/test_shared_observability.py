"""What every service shows an operator: one access line and a request id per request, unhandled
errors counted and logged once, trace context in envelopes, the outbox backlog and the consumer
lag measured on the real database and broker."""

import json
import logging
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import APIRouter
from prometheus_client import REGISTRY
from tsunagu_shared import db as database
from tsunagu_shared.app import create_app
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ProfileUpdated, utcnow
from tsunagu_shared.kafka import EventPublisher, ensure_topics
from tsunagu_shared.kafka.admin import wanted_topics
from tsunagu_shared.observability import tracing
from tsunagu_shared.observability.kafka import ConsumerLag
from tsunagu_shared.observability.outbox import OutboxBacklog
from tsunagu_shared.outbox import OutboxRelay, new_document, outbox_collection
from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.testing import isolated_settings, kafka_bootstrap, mongo_url, running_service, unique_prefix
from tsunagu_shared.topics import PROFILE_EVENTS, topic_name


class ProbeSettings(ServiceSettings):
    service_name: str = "probe"


def probe_app(settings: ProbeSettings):
    router = APIRouter()

    @router.get("/fine/{item}")
    async def fine(item: str) -> dict:
        return {"item": item}

    @router.get("/broken")
    async def broken() -> dict:
        raise RuntimeError("a bug the handlers did not foresee")

    async def bootstrap(s):
        return SimpleNamespace(infra=Infrastructure.open(s, outbox_collections=[]))

    return create_app(settings=settings, title="probe", description="probe", bootstrap=bootstrap, routers=[router])


def counted(route: str, status: str) -> float:
    return REGISTRY.get_sample_value("tsunagu_http_requests_total",
                                     {"method": "GET", "route": route, "status": status}) or 0.0


def log_lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


async def test_an_unhandled_error_is_a_500_counted_and_logged_once_with_the_request_id_the_client_gets(capsys):
    before = counted("/broken", "500")
    async with running_service(probe_app(isolated_settings(ProbeSettings))) as client:
        answer = await client.get("/broken")
    assert answer.status_code == 500
    request_id = answer.headers["X-Request-ID"]
    assert answer.json()["request_id"] == request_id and "bug" not in answer.text  # nothing of it leaks
    assert counted("/broken", "500") == before + 1
    output = capsys.readouterr().out
    lines = [line for line in log_lines(output) if line.get("request_id") == request_id]
    assert [(line["event"], line["level"], line["status"], line["route"]) for line in lines] == [
        ("http_request", "error", 500, "/broken")]
    assert "a bug the handlers did not foresee" in lines[0]["exception"]
    # logged once, by nobody else (uvicorn, starlette)
    assert len([line for line in output.splitlines() if "a bug the handlers did not foresee" in line]) == 1


async def test_each_request_has_one_access_line_with_its_request_and_trace_ids(capsys):
    async with running_service(probe_app(isolated_settings(ProbeSettings))) as client:
        kept = await client.get("/fine/a", headers={"X-Request-ID": "gateway-42"})
        replaced = await client.get("/fine/b", headers={"X-Request-ID": 'x" injected'})
        await client.get("/healthz")
    assert kept.headers["X-Request-ID"] == "gateway-42"
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])
    access = [line for line in log_lines(capsys.readouterr().out) if line["event"] == "http_request"]
    assert [(line["route"], line["request_id"]) for line in access] == [
        ("/fine/{item}", "gateway-42"), ("/fine/{item}", replaced.headers["X-Request-ID"])]  # probes unlogged
    assert all(re.fullmatch(r"[0-9a-f]{32}", line["trace_id"]) for line in access)
    assert {line["service"] for line in access} == {"probe"}
    assert access[0]["trace_id"] != access[1]["trace_id"]
    assert not logging.getLogger("uvicorn.access").isEnabledFor(logging.INFO)  # uvicorn does not log them again


def test_an_envelope_carries_the_trace_it_was_written_in_and_a_consumer_continues_it():
    event = ProfileUpdated(candidate_id="c1", changed_fields=["school"], updated_at=utcnow())
    with tracing.tracer().start_as_current_span("a request") as request:
        envelope = Envelope.wrap(event, source="tests")
    wire = Envelope.from_bytes(envelope.to_bytes())
    version, trace_id, parent_id, _flags = wire.traceparent.split("-")
    assert (version, trace_id, parent_id) == (
        "00", f"{request.get_span_context().trace_id:032x}", f"{request.get_span_context().span_id:016x}")
    with tracing.continued_from(wire, "process") as span:
        caused = wire.caused(event, source="tests")
    process = span.get_span_context()
    assert process.trace_id == request.get_span_context().trace_id
    assert process.span_id != request.get_span_context().span_id
    assert caused.traceparent.split("-")[1:3] == [f"{process.trace_id:032x}", f"{process.span_id:016x}"]
    # an envelope without one (an older producer) starts a trace of its own
    bare = Envelope.model_validate(envelope.to_document() | {"traceparent": None})
    with tracing.continued_from(bare, "process") as span:
        assert span.get_span_context().trace_id != request.get_span_context().trace_id


async def test_the_outbox_backlog_counts_the_marked_events_and_the_age_of_the_oldest():
    prefix = unique_prefix()
    await ensure_topics(kafka_bootstrap(), wanted_topics(prefix, 1))
    mongo = database.connect(mongo_url())
    db = mongo[f"{prefix.strip('.')}_backlog"]
    publisher = EventPublisher(bootstrap=kafka_bootstrap(), topic_prefix=prefix)
    await publisher.start()
    try:
        backlog, things = OutboxBacklog(db), outbox_collection(db, "things")
        await backlog.measure()
        assert _gauge("tsunagu_outbox_pending_events") == 0 and backlog.oldest_age() == 0
        for n in range(3):
            event = ProfileUpdated(candidate_id=f"c{n}", changed_fields=["school"], updated_at=utcnow())
            await things.insert_one(new_document({"_id": f"c{n}"}, Envelope.wrap(event, source="tests")))
        await things.insert_carried([new_document({"n": n}, Envelope.wrap(ProfileUpdated(
            candidate_id=f"d{n}", changed_fields=["school"], updated_at=utcnow()), source="tests")) for n in range(2)])
        await backlog.measure()
        assert _gauge("tsunagu_outbox_pending_events") == 5
        assert 0 < backlog.oldest_age() < 60
        assert _gauge("tsunagu_outbox_oldest_pending_age_seconds") > 0
        await OutboxRelay(db=db, collections=["things"], publisher=publisher).flush()
        await backlog.measure()
        assert _gauge("tsunagu_outbox_pending_events") == 0 and backlog.oldest_age() == 0
    finally:
        await publisher.stop()
        await mongo.close()


async def test_consumer_lag_is_the_end_offset_minus_the_groups_commit_per_partition():
    settings = isolated_settings(ServiceSettings, service_name="events", topic_partitions=2)
    prefix = settings.topic_prefix
    topic = topic_name(PROFILE_EVENTS, prefix)
    await ensure_topics(kafka_bootstrap(), wanted_topics(prefix, 2))
    publisher = EventPublisher(bootstrap=kafka_bootstrap(), topic_prefix=prefix)
    await publisher.start()
    for _ in range(5):  # one key: all on one partition
        await publisher.publish(Envelope.wrap(ProfileUpdated(candidate_id="c1", changed_fields=["school"],
                                                             updated_at=utcnow()), source="tests"))
    await publisher.stop()
    reader = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap(), enable_auto_commit=False)
    await reader.start()
    ends = await reader.end_offsets([TopicPartition(topic, 0), TopicPartition(topic, 1)])
    await reader.stop()
    [(full, _)] = [(tp, end) for tp, end in ends.items() if end == 5]
    group = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap(), group_id=f"{prefix}events", enable_auto_commit=False)
    await group.start()
    group.assign([full])
    await group.commit({full: 2})  # the group handled two of the five
    await group.stop()
    lag = ConsumerLag(settings)
    try:
        await lag.measure()
    finally:
        await lag.close()
    labels = {"group": f"{prefix}events", "topic": topic}
    assert _gauge("tsunagu_kafka_consumer_lag", {**labels, "partition": str(full.partition)}) == 3
    assert _gauge("tsunagu_kafka_consumer_lag", {**labels, "partition": str(1 - full.partition)}) == 0


def _gauge(name: str, labels: dict | None = None) -> float | None:
    return REGISTRY.get_sample_value(name, labels or {})


def test_spans_are_exported_over_otlp_only_when_an_endpoint_is_configured(monkeypatch):
    received: list[tuple[str, bytes]] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    script = ("from tsunagu_shared.settings import ServiceSettings\n"
              "from tsunagu_shared.observability import start_observing, stop_observing, tracing\n"
              "start_observing(ServiceSettings(service_name='probe'))\n"
              "with tracing.tracer().start_as_current_span('a unit of work'): pass\n"
              "stop_observing()\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "TSUNAGU_OTLP"))}
    try:
        quiet = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=60)
        assert quiet.returncode == 0, quiet.stderr
        assert received == []
        exported = subprocess.run([sys.executable, "-c", script], env={**env, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint},
                                  capture_output=True, timeout=60)
        assert exported.returncode == 0, exported.stderr
    finally:
        server.shutdown()
    [(path, body)] = received
    assert path == "/v1/traces" and b"a unit of work" in body and b"probe" in body
    monkeypatch.setenv("TSUNAGU_OTLP_ENDPOINT", endpoint)
    assert ServiceSettings().otlp_endpoint == endpoint
