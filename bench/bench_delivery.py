"""Delivery stage, end to end per channel (email, LINE, SMS): a backlog of N intents on
notify.intents, from the first publish to the provider emulator's receipt of the last message
(policy stage, delivery requests, channel workers, provider), versus N raw sends to the same
emulator with the provider's client library (aiosmtplib, line-bot-sdk push, twilio) at the channel
workers' concurrency (`delivery_senders`), from a process of its own as notify is
(bench/raw_sends.py). The raw sends run before and after the pipeline; their mean is the baseline
(the shared machine's load drifts during a run). BENCH_DELIVERY_CHANNELS picks channels (email,line,sms).
BENCH_DELIVERY_LAYOUT: "apart" (default; the channel workers in a process of their own,
TSUNAGU_NOTIFY_ROLES=delivery, as the delivery pods run them) or "together" (one process runs it all)."""

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from common import Figure, env_int
from tsunagu_shared.envelope import Envelope

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "faults"))
from faultkit import NotifyUnderTest, intent_event


async def raw_sends(notify: NotifyUnderTest, count: int, concurrency: int) -> float:
    """Messages/s of `count` sends straight to this run's emulator of the channel, in a process of its own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).with_name("raw_sends.py")), notify.channel, "--count", str(count),
        "--concurrency", str(concurrency), "--smtp-port", str(notify.emulators.ports.smtp),
        "--line-url", notify.emulators.line_base_url, "--twilio-url", notify.emulators.twilio_base_url,
        stdout=asyncio.subprocess.PIPE)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    result = json.loads(output.decode().strip().splitlines()[-1])
    return result["sent"] / result["seconds"]


async def end_to_end(channel: str, count: int, concurrency: int, layout: str) -> Figure:
    """Intents in on notify.intents, messages out at the channel's emulator, versus raw sends."""
    async with NotifyUnderTest(channel=channel, delivery_apart=layout == "apart", TSUNAGU_LOG_LEVEL="WARNING",
                               TSUNAGU_DELIVERY_SENDERS=str(concurrency)) as notify:
        people = [f"bd{notify.run}-{i:03d}" for i in range(50)]
        await notify.register(people)
        before = await raw_sends(notify, count, concurrency)
        already = len(notify.sent())
        intents = [intent_event(n, people[n % len(people)], run=notify.run) for n in range(count)]
        first = time.time()
        await asyncio.gather(*[await notify.publisher.send(Envelope.wrap(e, source="tsunagu/bench")) for e in intents])
        deadline = time.monotonic() + 600
        while len(notify.sent()) < already + count and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        received = notify.sent()[already:]
        rate = len(received) / (max(m["received_at"] for m in received) - first) if received else 0.0
        after = await raw_sends(notify, count, concurrency)
    baseline = (before + after) / 2
    workers = "in a process of their own" if layout == "apart" else "in the same process"
    return Figure("notify delivery", f"end to end to the {channel} emulator ({count} intents backlog, "
                  f"{len(received)} out; channel workers {workers}; "
                  f"raw {before:,.0f} before, {after:,.0f}/s after)", "messages/s", rate,
                  baseline=baseline, baseline_name=f"raw sends to the same emulator, {concurrency} at a time",
                  target=">= 0.8 x raw sends", meets_target=rate >= 0.8 * baseline)


async def run() -> list[Figure]:
    count = env_int("BENCH_DELIVERY_EVENTS", 500)
    senders = env_int("BENCH_DELIVERY_SENDERS", 8)
    channels = [c for c in (os.environ.get("BENCH_DELIVERY_CHANNELS") or "email,line,sms").split(",") if c]
    layout = os.environ.get("BENCH_DELIVERY_LAYOUT") or "apart"
    return [await end_to_end(channel, count, senders, layout) for channel in channels]
