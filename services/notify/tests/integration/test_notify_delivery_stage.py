"""The delivery stage on the real broker: what the deliveries view and API show of each outcome,
and a provider refusal that opts her out going back to her partition."""

import asyncio

from aiokafka import AIOKafkaProducer
from tsunagu_emulators import Fault
from tsunagu_notify.testing import NotifyHarness, jst
from tsunagu_notify.testing import scout_sent as scout


async def test_a_retried_delivery_shows_its_attempts_and_ends_sent():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        notify.recorder.add_fault(Fault(provider="line", mode="error", count=1))
        await notify.register("cand-1")
        await notify.publish(scout("cand-1"))
        await notify.until(lambda: notify.recorder.sent("line"), timeout=30)
        [delivery] = await notify.until(lambda: _deliveries(notify, "cand-1", "sent"), timeout=30)
        stranger = await notify.client.get("/recipients/cand-1/deliveries",
                                           headers=notify.headers(role="candidate", subject="cand-2"))
    assert (delivery["channel"], delivery["attempts"], delivery["template"]) == ("line", 2, "scout_received")
    assert delivery["sent_at"] is not None and delivery["provider_code"] == "500"  # the refused first attempt
    assert stranger.status_code == 404


async def test_a_hard_bounce_at_send_fails_the_delivery_and_turns_her_email_off():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.register("cand-1", preferred="email", line_user_id=None)
        notify.recorder.add_fault(Fault(provider="email", mode="permanent", count=1))
        await notify.publish(scout("cand-1"))
        [delivery] = await notify.until(lambda: _deliveries(notify, "cand-1", "failed"), timeout=30)
        state = await notify.state_when("cand-1", lambda s: s.channel("email").opted_out_at is not None)
        await notify.publish(scout("cand-1", company="co-b", name="Beta株式会社", scout_id="s-2"))
        await notify.until(lambda: _decided(notify, "cand-1", 2), timeout=30)
        await asyncio.sleep(0.5)
    assert (delivery["channel"], delivery["provider_code"], delivery["attempts"]) == ("email", "550", 1)
    assert state.channel("email").opt_out_source == "email_bounce"
    assert notify.recorder.sent("email") == []  # the second scout was not sent to the bounced address


async def _deliveries(notify, candidate, status):
    answer = await notify.client.get(f"/recipients/{candidate}/deliveries", headers=notify.headers())
    assert answer.status_code == 200, answer.text
    found = [d for d in answer.json() if d["status"] == status]
    return found or None


async def _decided(notify, candidate, count):
    return len(await notify.decisions(candidate)) >= count


async def test_a_stage_whose_transactions_the_broker_ended_owns_its_partitions_again_and_goes_on():
    """The broker may end a transaction and fence its producer while the group still gives the
    partition to this worker (a transaction timed out across a broker restart). No rebalance follows,
    so the stage must own the partition again itself, or nobody decides or sends for it any more."""
    async with NotifyHarness(start=jst(2, 12)) as notify:
        for candidate in ("cand-1", "cand-2"):
            await notify.register(candidate)
        await notify.publish(scout("cand-1"))
        await notify.until(lambda: _deliveries(notify, "cand-1", "sent"), timeout=30)

        prefix = notify.settings.topic_prefix
        for group in ("notify-policy", "notify-delivery"):  # what the broker does: a newer epoch fences them
            for partition in range(notify.settings.topic_partitions):
                fencer = AIOKafkaProducer(bootstrap_servers=notify.settings.kafka_bootstrap,
                                          transactional_id=f"{prefix}{group}-{partition}")
                await fencer.start()
                await fencer.stop()

        await notify.publish(scout("cand-2", company="co-b", name="Beta株式会社", scout_id="s-2"))
        await notify.until(lambda: _decided(notify, "cand-2", 1), timeout=60)
        [delivery] = await notify.until(lambda: _deliveries(notify, "cand-2", "sent"), timeout=60)
        await asyncio.sleep(1)
    assert delivery["attempts"] == 1
    assert len(notify.recorder.sent("line")) == 2  # each scout once, none twice
