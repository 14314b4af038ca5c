"""Malformed, oversized and wrong-version events on every topic notify consumes (the four
domain topics, group `notify`, and notify.intents, group `notify-policy`; notify.deliveries
has no consumer): each lands in its group's dead-letter topic with the original bytes and a
reason, and the consumers go on with the next record."""

from datetime import UTC, datetime

import pytest
from faultkit import NotifyUnderTest, intent_event
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ProfileUpdated
from tsunagu_shared.testing import TopicReader
from tsunagu_shared.topics import CONSUMER_GROUPS, NOTIFY_INTENTS, dlq_name, topic_name

DOMAIN_TOPICS = [t.name for t in CONSUMER_GROUPS["notify"]]
GROUP_OF = {**{name: "notify" for name in DOMAIN_TOPICS}, NOTIFY_INTENTS.name: "notify-policy"}


def profile_updated(**changes) -> Envelope:
    return Envelope.wrap(ProfileUpdated(candidate_id="cand-poison", changed_fields=list(changes), changes=changes,
                                        updated_at=datetime.now(UTC)), source="tsunagu/fault-test")


def malformed() -> list[bytes]:
    """Not JSON; JSON that is no envelope; an envelope whose data breaks its contract."""
    broken_contract = profile_updated(self_pr="x").model_dump(mode="json", by_alias=True)
    broken_contract["data"] = {"candidate_id": "cand-poison"}  # changed_fields, updated_at missing
    return [b"\xff{not json", b'{"hello": "world"}', Envelope.model_validate(broken_contract).to_bytes()]


def oversized() -> list[bytes]:
    """A well-formed event of 900 KB (a self-PR pasted a hundred times)."""
    return [profile_updated(self_pr="長" * 300_000).to_bytes()]


def wrong_version() -> list[bytes]:
    """A well-formed ProfileUpdated that says it is schema version 99, which nobody here knows."""
    return [profile_updated(self_pr="v99").model_copy(update={"schema_version": 99}).to_bytes()]


async def poison_every_topic(poison: list[bytes]) -> None:
    async with NotifyUnderTest() as notify:
        prefix = notify.settings.topic_prefix
        sent = []
        for name in GROUP_OF:
            for value in poison:
                await notify.publisher.publish_raw(topic_name(name, prefix), value, key=b"cand-poison", headers=[])
                sent.append((name, value))
        # a good record behind the poison on both consumer groups: it must still be handled
        await notify.register([f"fd{notify.run}"])
        await notify.publish([intent_event(0, f"fd{notify.run}", run=notify.run)])
        await notify.wait_settled(1, 1, timeout=60)
        dead = []
        for group in ("notify", "notify-policy"):
            expected = sum(1 for name, _ in sent if GROUP_OF[name] == group)
            async with TopicReader(dlq_name(group, prefix)) as reader:
                try:
                    await reader.wait_for(lambda records, n=expected: len(records) >= n, timeout=20)
                finally:
                    dead += reader.records
    landed = sorted((dict(r.headers)["dlq_topic"].decode().removeprefix(prefix), r.value) for r in dead)
    assert landed == sorted(sent)
    for record in dead:
        headers = dict(record.headers)
        assert headers["dlq_reason"].strip(), headers
        topic = headers["dlq_topic"].decode().removeprefix(prefix)
        assert headers["dlq_group"].decode().removeprefix(prefix) == GROUP_OF[topic]


@pytest.mark.slow
async def test_malformed_events_are_dead_lettered_with_a_reason_and_consumers_continue():
    await poison_every_topic(malformed())


@pytest.mark.slow
async def test_oversized_events_are_dead_lettered_and_consumers_continue():
    await poison_every_topic(oversized())


@pytest.mark.slow
async def test_wrong_version_events_are_dead_lettered_and_consumers_continue():
    await poison_every_topic(wrong_version())
