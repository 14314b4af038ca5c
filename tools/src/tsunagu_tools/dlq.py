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


@dataclass
class DeadLetters:
    """What a read found: the letters read (at most the limit) and how many the topic holds."""

    topic: str
    letters: list[DeadLetter]
    total: int

    @property
    def limited(self) -> bool:
        return len(self.letters) < self.total


async def read_dead_letters(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition], *, limit: int | None = 1000,
    offsets: set[int] | None = None,
) -> DeadLetters:
    """A dead-letter topic (its existing partitions, see broker.require_topic) from its beginning to its
    current end: at most `limit` letters (None: all), only those at `offsets` when given."""
    dlq_topic = partitions[0].topic
    consumer.assign(partitions)
    ends = await consumer.end_offsets(partitions)
    starts = await consumer.beginning_offsets(partitions)
    if offsets is None:
        total = sum(ends[tp] - starts[tp] for tp in partitions)
    else:
        total = len({o for o in offsets if any(starts[tp] <= o < ends[tp] for tp in partitions)})
    for tp, start in starts.items():
        consumer.seek(tp, start)
    letters: list[DeadLetter] = []
    while await _behind(consumer, ends) and (limit is None or len(letters) < limit):
        batches = await consumer.getmany(timeout_ms=1000)
        for tp, records in batches.items():
            letters += [_letter(r) for r in records
                        if r.offset < ends[tp] and (offsets is None or r.offset in offsets)]
    return DeadLetters(dlq_topic, letters[:limit] if limit is not None else letters, total)


async def _behind(consumer: AIOKafkaConsumer, ends: dict) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


def as_json(letter: DeadLetter) -> dict:
    """A dead letter as the `--json` listing shows it (the event's type and id from its headers)."""
    headers = {k: v.decode(errors="replace") for k, v in letter.headers}
    return {"offset": letter.offset, "topic": letter.topic, "failed_at": letter.failed_at,
            "error_type": letter.error_type, "reason": letter.reason,
            "key": letter.key.decode(errors="replace") if letter.key is not None else None,
            "type": headers.get("ce_type"), "id": headers.get("ce_id")}


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


async def replay(bootstrap: str, letters: list[DeadLetter], *, options: dict | None = None) -> int:
    """Publish each dead letter's original bytes back to its original topic (consumers dedupe by id)."""
    publisher = EventPublisher(bootstrap=bootstrap, client_id="tsunagu-dlq-replay", options=options)
    await publisher.start()
    try:
        for letter in letters:
            await publisher.publish_raw(letter.topic, letter.value, key=letter.key, headers=letter.headers)
    finally:
        await publisher.stop()
    return len(letters)
