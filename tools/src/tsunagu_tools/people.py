"""What the operator tool shows about one person: notify's decisions and the events that name her."""

from aiokafka import AIOKafkaConsumer, TopicPartition
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.topics import ALL_TOPICS, topic_name

from tsunagu_tools.demo.tap import mentions


async def events_about(settings: ServiceSettings, person_id: str, *, limit: int = 20000) -> list[tuple[str, Envelope]]:
    """Every event on the domain and notify topics (from their beginning) that names this person."""
    prefix = settings.topic_prefix
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest", **settings.kafka_client_options())
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(topic_name(t, prefix), p) for t in ALL_TOPICS
                      for p in consumer.partitions_for_topic(topic_name(t, prefix)) or ()]
        if not partitions:
            return []
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        found: list[tuple[str, Envelope]] = []
        read = 0
        while read < limit and any([await consumer.position(tp) < end for tp, end in ends.items()]):
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                for record in records:
                    read += 1
                    try:
                        envelope = Envelope.from_bytes(record.value)
                    except ValueError:
                        continue
                    if mentions(envelope, {person_id}):
                        found.append((tp.topic.removeprefix(prefix), envelope))
        return sorted(found, key=lambda item: item[1].time)
    finally:
        await consumer.stop()
