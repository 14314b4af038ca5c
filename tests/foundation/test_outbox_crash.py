"""The outbox: a service killed (SIGKILL) between its write and the publish still
publishes the event exactly once after it restarts."""

import httpx
from tsunagu_profile.config import ProfileSettings
from tsunagu_shared.kafka import ensure_topics
from tsunagu_shared.kafka.admin import wanted_topics
from tsunagu_shared.testing import (
    ServiceProcess,
    TopicReader,
    bearer,
    free_port,
    isolated_settings,
    kafka_bootstrap,
    mongo_url,
)
from tsunagu_shared.topics import PROFILE_EVENTS, topic_name


async def test_event_written_before_a_crash_is_published_once_after_restart():
    settings = isolated_settings(ProfileSettings)
    await ensure_topics(kafka_bootstrap(), wanted_topics(settings.topic_prefix, settings.topic_partitions))
    env = {
        "TSUNAGU_MONGO_URL": mongo_url(),
        "TSUNAGU_MONGO_DB": settings.mongo_db,
        "TSUNAGU_TOPIC_PREFIX": settings.topic_prefix,
        "TSUNAGU_OUTBOX_POLL_SECONDS": "0.2",
        "TSUNAGU_TOPIC_PARTITIONS": str(settings.topic_partitions),
        # no broker answers here: the write is stored, the publish cannot happen
        "TSUNAGU_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
    }
    service = ServiceProcess("profile", env=env)
    await service.start()
    try:
        async with httpx.AsyncClient(base_url=service.url) as client:
            headers = bearer(settings, role="candidate", subject="cand-crash")
            created = await client.post("/profiles/me", json=profile_body(), headers=headers)
            assert created.status_code == 201, created.text
        service.kill()

        service.env["TSUNAGU_KAFKA_BOOTSTRAP"] = kafka_bootstrap()
        await service.start()
        async with TopicReader(topic_name(PROFILE_EVENTS, settings.topic_prefix)) as reader:
            await reader.wait_for_types("ProfileCreated", timeout=30)
            envelopes = await reader.settle(2.0)
    finally:
        service.stop()
    created_events = [e for e in envelopes if e.type == "ProfileCreated"]
    assert len(created_events) == 1
    assert created_events[0].subject == "cand-crash"


def profile_body() -> dict:
    return {"display_name": "Crash Test"}
