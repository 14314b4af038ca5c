"""Readiness matches the work: with the Kafka broker stopped, an HTTP service whose writes need only
the database (profile, a real process) stays ready and takes a write; its outbox publishes the
event once the broker is back. notify, whose work is consuming, reports Kafka
(test_faults_infrastructure_restarts.py)."""

import httpx
import pytest
from faultkit import stack, until
from tsunagu_profile.config import ProfileSettings
from tsunagu_shared.testing import ServiceProcess, TopicReader, bearer, isolated_settings
from tsunagu_shared.topics import PROFILE_EVENTS, topic_name

pytestmark = [pytest.mark.restarts_infrastructure, pytest.mark.slow]


async def test_http_service_stays_ready_and_writes_while_kafka_is_down_and_the_event_arrives_after():
    settings = isolated_settings(ProfileSettings)
    profile = ServiceProcess("profile", env={
        "TSUNAGU_MONGO_DB": settings.mongo_db, "TSUNAGU_TOPIC_PREFIX": settings.topic_prefix,
        "TSUNAGU_KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "TSUNAGU_MONGO_URL": settings.mongo_url,
        "TSUNAGU_OPENSEARCH_URL": settings.opensearch_url, "TSUNAGU_SEARCH_INDEX_PREFIX": settings.search_index_prefix,
        "TSUNAGU_OUTBOX_POLL_SECONDS": "0.2", "TSUNAGU_TOPIC_PARTITIONS": "2"})
    candidate = bearer(settings, role="candidate", subject="cand-no-kafka")
    await profile.start()
    try:
        async with httpx.AsyncClient(base_url=profile.url, timeout=20) as client:
            async def readiness(kafka_ok: bool):
                answer = await client.get("/readyz")
                body = answer.json()
                return (answer.status_code, body) if (body["checks"]["kafka"] == "ok") is kafka_ok else None

            await until(lambda: readiness(True), timeout=60, what="profile to see Kafka")
            try:
                await stack("down", "kafka")
                status, body = await until(lambda: readiness(False), timeout=30, what="/readyz to see Kafka down")
                written = await client.post("/profiles/me", json={"display_name": "Broker Away"}, headers=candidate)
                after_write = await client.get("/readyz")
            finally:
                await stack("up", "kafka")
            async with TopicReader(topic_name(PROFILE_EVENTS, settings.topic_prefix)) as reader:
                events = await reader.wait_for_types("ProfileCreated", timeout=90)
    finally:
        profile.stop()
    assert status == 200 and body["status"] == "ready" and body["needs"] == ["database"], body
    assert body["checks"]["kafka"].startswith("unavailable") and body["checks"]["database"] == "ok", body
    assert written.status_code == 201, written.text
    assert after_write.status_code == 200, after_write.text
    created = [e.event() for e in events if e.type == "ProfileCreated"]
    assert [e.candidate_id for e in created] == ["cand-no-kafka"]
