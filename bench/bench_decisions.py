"""Notify's decision stage alone: NotificationRequested on notify.intents in -> decision committed
(its effect readable with read_committed on notify.policy-effects), through the real policy
processor (her state owned by her partition, one Kafka transaction per batch), versus a raw
aiokafka read_committed consume -> transactional produce passthrough on the same broker, with the
same number of partitions and the same batch size (2,000 records a poll), each batch committed with its offsets.

Throughput: a backlog of N intents published at once, rate from the first decision committed to the
last (the same for the passthrough's outputs). Latency: intents
offered at a fixed rate; per intent, the time its decision became readable minus its publish time.
The recipients (reachable by email) are written into the changelog before the processor starts."""

import asyncio
import time
import uuid
from datetime import UTC

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from common import Figure, env_int, percentile
from tsunagu_notify.adapters.recipient_stream import EFFECTS, RecipientStream
from tsunagu_notify.config import NotifySettings
from tsunagu_notify.domain.recipient import OwnedRecipient
from tsunagu_notify.handlers.policy import PolicyProcessor
from tsunagu_notify.testing import reachable
from tsunagu_shared.clock import SYSTEM_CLOCK
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.kafka import EventPublisher, ensure_topics
from tsunagu_shared.kafka.admin import wanted_topics
from tsunagu_shared.testing import isolated_settings, kafka_bootstrap
from tsunagu_shared.topics import NOTIFY_POLICY_EFFECTS, NOTIFY_RECIPIENT_STATE, topic_name

OFFERED_RATE = 1000
PARTITIONS = 6
BATCH = 2000  # notify's policy_batch_records


def _intent(n: int, recipient: str, run: str):
    from datetime import datetime

    from tsunagu_shared.events import NotificationRequested

    return NotificationRequested(
        intent_id=f"{run}-{n:06d}", recipient_id=recipient, template="interview_scheduled", category="critical",
        company_id="co-bench", variables={"company_name": "Bench株式会社", "starts_at_local": "7/1 10:00"},
        requested_at=datetime.now(UTC))


async def _offer(send, count: int, rate: float | None) -> None:
    """Send `count` records through `send(n)`, at `rate` per second (all at once when None)."""
    started, acks = time.monotonic(), []
    for n in range(count):
        acks.append(await send(n))
        if rate is not None and n % 50 == 49:
            ahead = (n + 1) / rate - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
    await asyncio.gather(*acks)


async def _read_committed(topic: str, count: int, on_record, max_seconds: float) -> None:
    """Read `count` records of `topic` as committed, calling `on_record(record, now)` for each."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap(), isolation_level="read_committed",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        seen, deadline = 0, time.monotonic() + max_seconds
        while seen < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200, max_records=5000)).values():
                now = time.time()
                for record in records:
                    seen += on_record(record, now)
    finally:
        await consumer.stop()


async def passthrough(events: int, *, rate: float | None) -> tuple[float, list[float]]:
    """read_committed consume -> transactional produce, offsets in the transaction, one transaction a poll."""
    run = uuid.uuid4().hex[:8]
    source, sink, group = f"bench{run}.in", f"bench{run}.out", f"bench{run}"
    await ensure_topics(kafka_bootstrap(), {source: PARTITIONS, sink: PARTITIONS})
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap(), acks="all", enable_idempotence=True, linger_ms=2)
    relay = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap(), transactional_id=f"bench{run}-relay",
                             enable_idempotence=True, acks="all", linger_ms=2)
    consumer = AIOKafkaConsumer(source, bootstrap_servers=kafka_bootstrap(), group_id=group,
                                isolation_level="read_committed", enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await producer.start()
    await relay.start()
    await consumer.start()
    published: dict[bytes, float] = {}
    arrived: dict[bytes, float] = {}

    async def relay_loop() -> None:
        done = 0
        while done < events:
            batches = await consumer.getmany(timeout_ms=100, max_records=BATCH)
            if not batches:
                continue
            async with relay.transaction():
                for records in batches.values():
                    for r in records:
                        await relay.send(sink, r.value, key=r.key)
                    done += len(records)
                await relay.send_offsets_to_transaction(
                    {tp: records[-1].offset + 1 for tp, records in batches.items()}, group)

    def on_output(record, now) -> int:
        arrived.setdefault(record.value, now)
        return 1

    try:
        loop = asyncio.create_task(relay_loop())
        reader = asyncio.create_task(_read_committed(sink, events, on_output, 300))

        async def send(n: int):
            value = f"{run}-{n}".encode()
            published[value] = time.time()
            return await producer.send(source, value, key=f"k{n % 1000}".encode())

        await _offer(send, events, rate)
        await asyncio.wait_for(loop, timeout=300)
        await reader
        first = min(arrived.values()) if rate is None else min(published.values())
        elapsed = max(arrived.values()) - first
    finally:
        await consumer.stop()
        await producer.stop()
        await relay.stop()
    return len(arrived) / elapsed, [arrived[v] - published[v] for v in arrived]


async def decision_stage(events: int, people: int, *, rate: float | None) -> tuple[float, list[float], int]:
    """The policy processor on its own topics. Returns (decisions/s, latencies, decisions seen)."""
    settings = isolated_settings(NotifySettings, environment="test", topic_partitions=PARTITIONS)
    prefix = settings.topic_prefix
    await ensure_topics(settings.kafka_bootstrap, wanted_topics(prefix, PARTITIONS))
    publisher = EventPublisher(bootstrap=settings.kafka_bootstrap, topic_prefix=prefix)
    await publisher.start()
    names = [f"bd-{i:05d}" for i in range(people)]
    changelog = topic_name(NOTIFY_RECIPIENT_STATE, prefix)
    for name in names:
        person = OwnedRecipient(state=reachable("email", preferred="email").model_copy(update={"recipient_id": name}))
        await publisher.publish_raw(changelog, person.model_dump_json().encode(), key=name.encode(), headers=[])
    processor = PolicyProcessor(stream=RecipientStream(settings), clock=SYSTEM_CLOCK, config=settings.policy(),
                                max_event_bytes=settings.max_event_bytes, max_records=BATCH)
    await processor.start()
    task = asyncio.create_task(processor.run())
    await asyncio.wait_for(processor.started.wait(), timeout=60)
    run = uuid.uuid4().hex[:6]
    published: dict[str, float] = {}
    decided: dict[str, float] = {}

    def on_effect(record, now) -> int:
        effect = EFFECTS.validate_json(record.value)
        if effect.kind == "decision" and effect.decision.intent_id not in decided:
            decided[effect.decision.intent_id] = now
            return 1
        return 0

    try:
        reader = asyncio.create_task(_read_committed(topic_name(NOTIFY_POLICY_EFFECTS, prefix), events, on_effect,
                                                     600))

        async def send(n: int):
            event = _intent(n, names[n % people], run)
            published[event.intent_id] = time.time()
            return await publisher.send(Envelope.wrap(event, source="tsunagu/bench"))

        await _offer(send, events, rate)
        await reader
    finally:
        processor.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await processor.close()
        await publisher.stop()
    first = min(decided.values()) if rate is None else min(published.values())
    elapsed = (max(decided.values()) - first) if decided else float("inf")
    return len(decided) / elapsed, [decided[i] - published[i] for i in decided], len(decided)


async def run() -> list[Figure]:
    backlog = env_int("BENCH_DECISION_EVENTS", 20000)
    offered = env_int("BENCH_DECISION_OFFERED_EVENTS", 5000)
    people = env_int("BENCH_DECISION_PEOPLE", 1000)
    base_rate, _ = await passthrough(backlog, rate=None)
    _, base_lat = await passthrough(offered, rate=OFFERED_RATE)
    rate, _, out = await decision_stage(backlog, people, rate=None)
    _, lat, out_offered = await decision_stage(offered, people, rate=OFFERED_RATE)
    p99, base_p99 = percentile(lat, 99) * 1000, percentile(base_lat, 99) * 1000
    return [
        Figure("notify decisions", f"throughput ({backlog} intents backlog, {people} people, {out} decided)",
               "decisions/s", rate, baseline=base_rate,
               baseline_name="raw read_committed consume -> transactional produce, same batch size",
               target=">= 0.5 x passthrough", meets_target=rate >= 0.5 * base_rate),
        Figure("notify decisions", f"p50 intent-to-decision latency at {OFFERED_RATE}/s offered "
               f"({offered} intents, {out_offered} decided)", "ms", percentile(lat, 50) * 1000,
               baseline=percentile(base_lat, 50) * 1000, baseline_name="passthrough p50 at the same rate"),
        Figure("notify decisions", f"p99 intent-to-decision latency at {OFFERED_RATE}/s offered", "ms", p99,
               baseline=base_p99, baseline_name="passthrough p99 at the same rate", target="< 200 ms",
               meets_target=p99 < 200),
    ]
