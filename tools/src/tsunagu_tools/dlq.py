"""Dead-letter topics: list what is in one, and replay it to the topic it came from."""

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from tsunagu_shared.kafka import EventPublisher


@dataclass
class DeadLetter:
    offset: int
    topic: str
    reason: str
    error_type: str
    failed_at: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


async def read_dead_letters(bootstrap: str, dlq_topic: str, *, limit: int = 1000) -> list[DeadLetter]:
    """Everything in a dead-letter topic, from its beginning to its current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = [TopicPartition(dlq_topic, p) for p in (consumer.partitions_for_topic(dlq_topic) or {0})]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        for tp, start in (await consumer.beginning_offsets(partitions)).items():
            consumer.seek(tp, start)
        letters: list[DeadLetter] = []
        while await _behind(consumer, ends) and len(letters) < limit:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                letters += [_letter(r) for r in records]
        return letters[:limit]
    finally:
        await consumer.stop()


async def _behind(consumer: AIOKafkaConsumer, ends: dict) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


def _letter(record) -> DeadLetter:
    headers = {k: v.decode(errors="replace") for k, v in record.headers or []}
    original = [(k, v) for k, v in record.headers or [] if not k.startswith("dlq_")]
    return DeadLetter(
        offset=record.offset,
        topic=headers.get("dlq_topic", "?"),
        reason=headers.get("dlq_reason", "?"),
        error_type=headers.get("dlq_error_type", "?"),
        failed_at=headers.get("dlq_failed_at", "?"),
        key=record.key,
        value=record.value,
        headers=original,
    )


async def replay(bootstrap: str, letters: list[DeadLetter]) -> int:
    """Publish each dead letter's original bytes back to its original topic (consumers dedupe by id)."""
    publisher = EventPublisher(bootstrap=bootstrap, client_id="tsunagu-dlq-replay")
    await publisher.start()
    try:
        for letter in letters:
            await publisher.publish_raw(letter.topic, letter.value, key=letter.key, headers=letter.headers)
    finally:
        await publisher.stop()
    return len(letters)
