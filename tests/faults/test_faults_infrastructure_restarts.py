"""Restart the Kafka broker, stop the database: services reconnect by themselves, /readyz tells
the truth during the outage, APIs answer 503 with a clear message, nothing is half-written,
and the intent stream ends with exactly one send or one suppression per intent.

These tests stop real processes with scripts/stack.py (the stack of `make test`) and always
start them again (finally), since later tests need them. Streams are scaled down to fit the
time budget (notify decides a few intents per second on FerretDB/SQLite here)."""

import httpx
import pytest
from faultkit import NotifyUnderTest, intent_event, stack, until
from tsunagu_profile.config import ProfileSettings
from tsunagu_shared.testing import ServiceProcess, TopicReader, bearer, isolated_settings
from tsunagu_shared.topics import PROFILE_EVENTS, topic_name

pytestmark = [pytest.mark.restarts_infrastructure, pytest.mark.slow]
INTENTS, RECIPIENTS, STRANGERS = 66, 30, 3


def stream(notify: NotifyUnderTest):
    people = [f"fk{notify.run}-{i:03d}" for i in range(RECIPIENTS)]
    strangers = [f"fx{notify.run}-{i:03d}" for i in range(STRANGERS)]
    everyone = people + strangers
    events = [intent_event(n, everyone[n % len(everyone)], run=notify.run) for n in range(INTENTS)]
    sendable = {e.intent_id for e in events if e.recipient_id in people}
    return people, everyone, events, sendable, {e.intent_id for e in events} - sendable


async def test_broker_restart_mid_stream_loses_nothing_and_readyz_shows_the_outage():
    async with NotifyUnderTest() as notify:
        people, everyone, events, sendable, suppressible = stream(notify)
        await notify.register(people)
        await notify.publish(events)
        await until(lambda: _emails_at_least(notify, len(sendable) // 4), timeout=60, what="a quarter of the sends")
        try:
            await stack("down", "kafka")
            status, body = await until(lambda: _not_ready(notify), timeout=30, what="/readyz to report Kafka down")
            assert status == 503 and body["checks"]["kafka"].startswith("unavailable"), body
        finally:
            await stack("up", "kafka")
        await until(lambda: _ready(notify), timeout=60, what="/readyz to recover after the broker restart")
        await notify.wait_settled(len(sendable), INTENTS, timeout=90)
        ledger = await notify.ledger(everyone)
    assert ledger.problems(sendable=sendable, suppressible=suppressible) == []


async def test_database_outage_gives_503_writes_nothing_half_and_consumers_resume():
    profile_settings = isolated_settings(ProfileSettings)
    profile = ServiceProcess("profile", env={
        "TSUNAGU_MONGO_DB": profile_settings.mongo_db, "TSUNAGU_TOPIC_PREFIX": profile_settings.topic_prefix,
        "TSUNAGU_KAFKA_BOOTSTRAP": profile_settings.kafka_bootstrap, "TSUNAGU_MONGO_URL": profile_settings.mongo_url})
    candidate = bearer(profile_settings, role="candidate", subject="cand-db-outage")
    async with NotifyUnderTest() as notify:
        await profile.start()
        try:
            people, everyone, events, sendable, suppressible = stream(notify)
            await notify.register(people)
            await notify.publish(events)
            await until(lambda: _emails_at_least(notify, len(sendable) // 4), timeout=60, what="a quarter of the sends")
            try:
                await stack("down", "ferretdb")
                async with httpx.AsyncClient(base_url=profile.url, timeout=20) as client:
                    written = await client.post("/profiles/me", json={"display_name": "Outage"}, headers=candidate)
                read = await notify.http.get(f"/recipients/{people[0]}/decisions", headers=notify.admin_headers())
                status, body = await notify.ready()
            finally:
                await stack("up", "ferretdb")
            await until(lambda: _ready(notify), timeout=60, what="notify /readyz after the database came back")
            async with httpx.AsyncClient(base_url=profile.url, timeout=20) as client:
                after = await client.get("/profiles/me", headers=candidate)
            async with TopicReader(topic_name(PROFILE_EVENTS, profile_settings.topic_prefix)) as reader:
                published = await reader.settle(2.0)
            await notify.wait_settled(len(sendable), INTENTS, timeout=90)
            ledger = await notify.ledger(everyone)
        finally:
            profile.stop()
    for answer in (written, read):
        assert answer.status_code == 503, answer.text
        assert "database is unavailable" in answer.json()["detail"]
    assert status == 503 and body["checks"]["database"].startswith("unavailable"), body
    assert after.status_code == 404, after.text  # the refused write left no profile behind
    assert [e.type for e in published] == []     # and no event of it
    assert ledger.problems(sendable=sendable, suppressible=suppressible) == []


async def _emails_at_least(notify, n):
    return len(notify.emulators.recorder.sent("email")) >= n


async def _not_ready(notify):
    try:
        status, body = await notify.ready()
    except httpx.HTTPError:
        return None
    return (status, body) if status == 503 else None


async def _ready(notify):
    try:
        status, _ = await notify.ready()
    except httpx.HTTPError:
        return False
    return status == 200
