"""Every event type round-trips through the real broker and compares equal."""

import pytest
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import EVENT_TYPES
from tsunagu_shared.kafka import EventPublisher, ensure_topics
from tsunagu_shared.kafka.admin import wanted_topics
from tsunagu_shared.samples import build
from tsunagu_shared.testing import TopicReader, kafka_bootstrap, unique_prefix
from tsunagu_shared.topics import ALL_TOPICS, topic_name


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_serialises_and_parses_back_equal(event_type):
    original = build(EVENT_TYPES[event_type])
    envelope = Envelope.wrap(original, source="tests")
    decoded = Envelope.from_bytes(envelope.to_bytes())
    assert decoded == envelope
    assert decoded.event() == original
    assert decoded.subject == original.subject


async def test_every_event_type_round_trips_through_kafka():
    prefix = unique_prefix()
    await ensure_topics(kafka_bootstrap(), wanted_topics(prefix, 2))
    publisher = EventPublisher(bootstrap=kafka_bootstrap(), topic_prefix=prefix)
    await publisher.start()
    sent = {t: Envelope.wrap(build(model), source="tests") for t, model in EVENT_TYPES.items()}
    try:
        for envelope in sent.values():
            await publisher.publish(envelope)
    finally:
        await publisher.stop()

    received: dict[str, Envelope] = {}
    for topic in ALL_TOPICS:
        expected = [e for e in sent.values() if EVENT_TYPES[e.type].topic == topic.name]
        wanted = len(expected)
        async with TopicReader(topic_name(topic, prefix)) as reader:
            await reader.wait_for(lambda records, wanted=wanted: len(records) >= wanted)
            for record in reader.records:
                envelope = Envelope.from_bytes(record.value)
                assert record.key == envelope.subject.encode()
                assert dict(record.headers)["ce_type"] == envelope.type.encode()
                received[envelope.type] = envelope
    assert received.keys() == sent.keys()
    for event_type, envelope in sent.items():
        assert received[event_type] == envelope
        assert received[event_type].event() == envelope.event()


def test_envelope_is_cloudevents_structured_mode():
    envelope = Envelope.wrap(build(EVENT_TYPES["ScoutSent"]), source="tsunagu/scout")
    document = envelope.to_document()
    for attribute in ("id", "type", "source", "time", "subject", "specversion", "datacontenttype", "data"):
        assert attribute in document
    assert document["specversion"] == "1.0"
    assert document["correlationid"] == envelope.id  # a new correlation starts with the first event
    assert all("_" not in key for key in document)  # CloudEvents attribute names: lowercase alphanumerics
    caused = envelope.caused(build(EVENT_TYPES["ReplyReceived"]), source="tsunagu/messaging")
    assert caused.correlation_id == envelope.correlation_id
    assert caused.causation_id == envelope.id
