"""SIGKILL notify while its channel workers have messages the provider accepted and whose outcome
is not committed yet (commits are spaced 1.5 s apart here, so at any moment the last sends are
uncommitted). After the restart the next owner reads those requests again and sends them again with
the same key: LINE refuses the copies (409 on X-Line-Retry-Key, recorded as sent), so every intent
ends with exactly one message or one recorded suppression, and the copies are seen to have been
tried (the case this test is about did happen). Run twice: notify as one process, and with the
channel workers in a process of their own (TSUNAGU_NOTIFY_ROLES, as the notify-delivery pods run
them), where only that process is killed and the policy stage goes on deciding meanwhile."""

import asyncio

import pytest
from faultkit import NotifyUnderTest, intent_stream, until

INTENTS, RECIPIENTS, STRANGERS = 120, 40, 4


@pytest.mark.slow
@pytest.mark.parametrize("apart", [False, True], ids=["one-process", "channel-workers-apart"])
async def test_channel_worker_killed_between_provider_accept_and_commit_sends_line_once(apart):
    async with NotifyUnderTest(channel="line", delivery_apart=apart, TSUNAGU_DELIVERY_COMMIT_MS="1500") as notify:
        worker = notify.delivery_process or notify.process
        intents = intent_stream(notify.run, INTENTS, RECIPIENTS, STRANGERS)
        people, everyone, events, sendable = intents.people, intents.everyone, intents.events, intents.sendable
        await notify.register(people)
        notify.expect(events)

        stream = asyncio.create_task(notify.publish(events, pace_per_second=30))  # about four seconds
        await until(lambda: _sent_at_least(notify, len(sendable) // 3), timeout=60, what="a third of the sends")
        worker.kill()
        killed_at = len(notify.sent())
        await stream
        await worker.start()
        await notify.wait_settled(len(sendable), INTENTS, timeout=120)
        ledger = await notify.ledger(everyone)
        copies = [r for r in notify.emulators.recorder.requests if r["outcome"] == "duplicate_retry_key"]
        shown = {d["intent_id"]: d async for d in notify.db.deliveries.find({"recipient_id": {"$in": people}})}
    assert killed_at < len(sendable), "the kill came after the stream had finished"
    assert ledger.problems(sendable=sendable, suppressible=intents.suppressible) == []
    assert copies, "no accepted message was uncommitted at the kill: the test did not reach its case"
    assert {i: d["status"] for i, d in shown.items()} == {i: "sent" for i in sendable}
    assert sum(1 for d in shown.values() if d.get("already_accepted")) == len(copies)


async def _sent_at_least(notify, n):
    return len(notify.sent()) >= n
