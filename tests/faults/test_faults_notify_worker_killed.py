"""SIGKILL the notify worker in the middle of a stream of intents, restart it: every intent
ends with exactly one send or one recorded suppression (checked against the provider
emulator's log and notify's decisions), on LINE (X-Line-Retry-Key makes a repeated push a
no-op at the provider) and on email (SMTP has no such key: see the xfail).

Scaled down: the issue asks for 10,000 intents, but notify decides about 1-5 intents/s on
FerretDB/SQLite on the shared 2-core machine (see README, Performance), so 10,000 would take
one to three hours. The default is 132 intents (one in eleven to unknown recipients, suppressed);
TSUNAGU_FAULT_INTENTS=10000 runs the full stream (allow hours)."""

import os

import pytest
from faultkit import NotifyUnderTest, intent_event, until

INTENTS = int(os.environ.get("TSUNAGU_FAULT_INTENTS", "132"))
RECIPIENTS, STRANGERS = 60, 6  # <= 100 decisions each: the API's page size


SMTP_HAS_NO_IDEMPOTENCY_KEY = pytest.mark.xfail(strict=False, reason=(
    "known limit: SMTP and Twilio take no idempotency key, so a SIGKILL after the provider accepted a "
    "message and before notify recorded it re-sends that one message after the restart (seen in CI "
    "2026-11-26), with the same Message-ID, by which mailboxes recognise the copy; LINE is protected by "
    "X-Line-Retry-Key (the line case is strict)"))


@pytest.mark.slow
@pytest.mark.parametrize("channel", ["line", pytest.param("email", marks=SMTP_HAS_NO_IDEMPOTENCY_KEY)])
async def test_sigkill_mid_stream_loses_nothing_and_sends_nothing_twice(channel):
    async with NotifyUnderTest(channel=channel) as notify:
        people = [f"fk{notify.run}-{i:03d}" for i in range(RECIPIENTS)]
        strangers = [f"fx{notify.run}-{i:03d}" for i in range(STRANGERS)]  # never registered: suppressed
        everyone = people + strangers
        await notify.register(people)
        events = [intent_event(n, everyone[n % len(everyone)], run=notify.run) for n in range(INTENTS)]
        sendable = {e.intent_id for e in events if e.recipient_id in people}
        suppressible = {e.intent_id for e in events} - sendable
        notify.expect(events)

        await notify.publish(events)
        await until(lambda: _at_least(notify, len(sendable) // 3), timeout=60, what="a third of the sends")
        notify.process.kill()
        killed_at = len(notify.sent())
        await notify.process.start()
        await notify.wait_settled(len(sendable), INTENTS, timeout=max(90, INTENTS))
        ledger = await notify.ledger(everyone)
    assert killed_at < len(sendable), "the kill came after the stream had finished"
    assert ledger.problems(sendable=sendable, suppressible=suppressible) == []


async def _at_least(notify, n):
    return len(notify.sent()) >= n
