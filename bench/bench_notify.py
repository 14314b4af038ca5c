"""Notify pipeline: NotificationRequested on notify.intents in -> provider request out (the SMTP
emulator), versus a raw aiokafka consume->produce passthrough on the same broker. It runs the
current pipeline (one notify process with every role); its throughput target moved to
bench_delivery.py (end to end against raw sends to the same emulator, the baseline the target
names) and bench_decisions.py (the decision stage against this passthrough).

Throughput: a backlog of N events, time until the last one is out. Latency: events offered at a
fixed rate; per event, provider receipt time minus publish time (one host clock)."""

import asyncio
import sys
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from common import Figure, env_int, percentile, rss_mib
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.testing import kafka_bootstrap

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "faults"))
from faultkit import NotifyUnderTest, idempotency_key_of, intent_event

OFFERED_RATE = 1000


async def passthrough(events: int, *, rate: float | None) -> tuple[float, list[float]]:
    """Consume from one topic and produce each record to another (acks=all, commit per batch).
    Returns (events/s, latencies in s from the input's publish to the output's ack)."""
    run = uuid.uuid4().hex[:8]
    source, sink = f"bench{run}.in", f"bench{run}.out"
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap(), acks="all", enable_idempotence=True, linger_ms=2)
    relay = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap(), acks="all", enable_idempotence=True, linger_ms=2)
    consumer = AIOKafkaConsumer(source, bootstrap_servers=kafka_bootstrap(), group_id=f"bench{run}",
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await producer.start()
    await relay.start()
    await producer.send_and_wait(source, b"warm-up")
    await relay.send_and_wait(sink, b"warm-up")  # both topics exist before the clock starts
    await consumer.start()
    latencies: list[float] = []

    async def relay_loop() -> None:
        done = 0
        while done < events + 1:
            batches = await consumer.getmany(timeout_ms=200, max_records=500)
            for records in batches.values():
                futures = [await relay.send(sink, r.value, key=r.key) for r in records]
                await asyncio.gather(*futures)
                now = time.time()
                latencies.extend(now - float(r.value) for r in records if r.value != b"warm-up")
                done += len(records)
            await consumer.commit()

    try:
        if rate is None:  # a backlog first, then time the relay alone
            await asyncio.gather(*[await producer.send(source, str(time.time()).encode()) for _ in range(events)])
        started = time.monotonic()
        loop = asyncio.create_task(relay_loop())
        if rate is not None:
            for n in range(events):
                await producer.send(source, str(time.time()).encode())
                if n % 50 == 49:
                    ahead = (n + 1) / rate - (time.monotonic() - started)
                    if ahead > 0:
                        await asyncio.sleep(ahead)
        await asyncio.wait_for(loop, timeout=300)
        elapsed = time.monotonic() - started
    finally:
        await consumer.stop()
        await producer.stop()
        await relay.stop()
    return events / elapsed, latencies


async def pipeline(notify: NotifyUnderTest, people: list[str], events: int, *, rate: float | None,
                   first: int, max_seconds: float) -> tuple[float, list[float], int]:
    """Intents in, emails out. Returns (events/s, latencies, events that came out in time)."""
    intents = [intent_event(first + n, people[n % len(people)], run=notify.run) for n in range(events)]
    wanted = {e.intent_id for e in intents}
    published: dict[str, float] = {}
    started, acks = time.monotonic(), []
    for n, event in enumerate(intents):
        published[event.intent_id] = time.time()
        acks.append(await notify.publisher.send(Envelope.wrap(event, source="tsunagu/bench")))
        if rate is not None and n % 50 == 49:
            ahead = (n + 1) / rate - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
    await asyncio.gather(*acks)
    received: dict[str, float] = {}
    deadline = time.monotonic() + max_seconds
    while len(received) < events and time.monotonic() < deadline:
        for message in notify.emulators.recorder.sent("email"):
            key = idempotency_key_of(message)
            intent = key.split(":")[0] if key else None
            if intent in wanted and intent not in received:
                received[intent] = message["received_at"]
        await asyncio.sleep(0.2)
    elapsed = (max(received.values()) - min(published.values())) if received else float("inf")
    latencies = [received[i] - published[i] for i in received]
    return len(received) / elapsed, latencies, len(received)


async def run() -> list[Figure]:
    backlog = env_int("BENCH_NOTIFY_EVENTS", 200)
    offered = env_int("BENCH_NOTIFY_OFFERED_EVENTS", 200)
    base_events = env_int("BENCH_PASSTHROUGH_EVENTS", 20000)
    base_rate, _ = await passthrough(base_events, rate=None)
    _, base_lat = await passthrough(min(base_events, 5 * OFFERED_RATE), rate=OFFERED_RATE)
    figures = []
    async with NotifyUnderTest(TSUNAGU_LOG_LEVEL="WARNING") as notify:
        people = [f"bn{notify.run}-{i:03d}" for i in range(50)]
        await notify.register(people)
        rest = rss_mib(notify.process.process.pid)
        rate, _, out = await pipeline(notify, people, backlog, rate=None, first=0, max_seconds=600)
        _, lat, out_offered = await pipeline(notify, people, offered, rate=OFFERED_RATE, first=backlog,
                                             max_seconds=600)
        loaded = rss_mib(notify.process.process.pid)
    # no target here: the stage's targets are measured by `decisions` (against this passthrough) and
    # `delivery` (end to end against raw sends to the same emulator); this row stays for its history
    figures.append(Figure("notify pipeline", f"throughput ({backlog} events backlog, {out} out; one notify "
                          "process; see `delivery` for the end-to-end target)", "events/s",
                          rate, baseline=base_rate, baseline_name="raw aiokafka consume->produce passthrough"))
    p50, p99 = percentile(lat, 50) * 1000, percentile(lat, 99) * 1000
    figures.append(Figure("notify pipeline", f"p50 event-to-provider latency at {OFFERED_RATE}/s offered "
                          f"({offered} events, {out_offered} out)", "ms", p50,
                          baseline=percentile(base_lat, 50) * 1000, baseline_name="passthrough p50 at the same rate"))
    figures.append(Figure("notify pipeline", f"p99 event-to-provider latency at {OFFERED_RATE}/s offered", "ms", p99,
                          baseline=percentile(base_lat, 99) * 1000, baseline_name="passthrough p99 at the same rate",
                          target="< 200 ms", meets_target=p99 < 200))
    figures.append(Figure("memory", "notify RSS at rest", "MiB", rest))
    figures.append(Figure("memory", "notify RSS after load", "MiB", loaded))
    return figures
