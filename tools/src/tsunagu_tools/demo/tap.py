"""Reads the stack's topics from "now" on, decoded, to show the events of one story."""

import json

from aiokafka import AIOKafkaConsumer, TopicPartition
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.topics import ALL_TOPICS, topic_name


class EventTap:
    """Every event published on the domain and notify topics after `start()`."""

    def __init__(self, bootstrap: str, prefix: str = "") -> None:
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.envelopes: list[tuple[str, Envelope]] = []
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                          auto_offset_reset="earliest")
        await self._consumer.start()
        partitions = []
        # aiokafka has no public call that refreshes the consumer's own cluster view
        await self._consumer._client.force_metadata_update()
        for topic in ALL_TOPICS:
            name = topic_name(topic, self.prefix)
            partitions += [TopicPartition(name, p) for p in self._consumer.partitions_for_topic(name) or ()]
        self._consumer.assign(partitions)
        if partitions:
            await self._consumer.seek_to_end(*partitions)
            for tp in partitions:  # resolve the positions now, before the story publishes anything
                await self._consumer.position(tp)

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def drain(self) -> list[tuple[str, Envelope]]:
        """What arrived since the last drain (reads until one poll comes back empty)."""
        fresh: list[tuple[str, Envelope]] = []
        if self._consumer is None or not self._consumer.assignment():
            return fresh
        for _ in range(50):
            batches = await self._consumer.getmany(timeout_ms=300)
            if not batches:
                break
            for tp, records in batches.items():
                for record in records:
                    try:
                        fresh.append((tp.topic.removeprefix(self.prefix), Envelope.from_bytes(record.value)))
                    except ValueError:
                        continue
        fresh.sort(key=lambda item: item[1].time)
        self.envelopes += fresh
        return fresh

    def of_types(self, *types: str, mentioning: set[str] | None = None) -> list[Envelope]:
        return [e for _, e in self.envelopes if e.type in types and (mentioning is None or mentions(e, mentioning))]


def mentions(envelope: Envelope, ids: set[str]) -> bool:
    """Whether an event concerns one of these ids (subject or any value of its data)."""
    if envelope.subject in ids:
        return True
    text = json.dumps(envelope.data, ensure_ascii=False, default=str)
    return any(i in text for i in ids)
