"""Listing and replaying a dead-letter topic on the real broker."""

from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ScoutSent
from tsunagu_shared.kafka import EventPublisher, ensure_topics
from tsunagu_shared.samples import build
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.testing import TopicReader, kafka_bootstrap, unique_prefix
from tsunagu_tools import broker
from tsunagu_tools.dlq import read_dead_letters, replay


async def test_dead_letters_are_listed_with_reasons_and_replayed_to_their_topic():
    prefix = unique_prefix()
    source, dlq = f"{prefix}scout.events", f"{prefix}notify.dlq"
    await ensure_topics(kafka_bootstrap(), {source: 1, dlq: 1})
    envelope = Envelope.wrap(build(ScoutSent), source="tests")
    publisher = EventPublisher(bootstrap=kafka_bootstrap())
    await publisher.start()
    try:
        await publisher.publish_raw(dlq, envelope.to_bytes(), key=b"cand", headers=[
            ("ce_type", b"ScoutSent"), ("dlq_reason", b"template missing"), ("dlq_error_type", b"PermanentError"),
            ("dlq_topic", source.encode()), ("dlq_failed_at", b"2026-11-26T10:00:00+00:00"),
        ])
    finally:
        await publisher.stop()

    async with broker.consumer(ServiceSettings(kafka_bootstrap=kafka_bootstrap())) as consumer:
        found = await read_dead_letters(consumer, await broker.require_topic(consumer, dlq))
    assert (found.total, found.limited) == (1, False)
    letters = [(d.topic, d.reason, d.error_type) for d in found.letters]
    assert letters == [(source, "template missing", "PermanentError")]
    assert await replay(kafka_bootstrap(), found.letters) == 1
    async with TopicReader(source) as reader:
        records = await reader.wait_for(lambda r: len(r) >= 1)
    assert records[0].value == envelope.to_bytes()
    assert records[0].key == b"cand"
    assert dict(records[0].headers) == {"ce_type": b"ScoutSent"}  # the dlq_* bookkeeping is not replayed
