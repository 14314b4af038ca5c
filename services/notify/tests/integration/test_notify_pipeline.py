"""The notify pipeline on the real broker and database, with the provider emulators."""

import asyncio
from datetime import datetime

from tsunagu_emulators import Fault
from tsunagu_notify.testing import NotifyHarness, jst
from tsunagu_notify.testing import scout_sent as scout


async def test_one_scout_gives_exactly_one_line_push_naming_the_company():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.register("cand-1")
        await notify.publish(scout("cand-1"))
        await notify.until(lambda: notify.recorder.sent("line"))
        decisions = await notify.decisions("cand-1")
        await asyncio.sleep(1.0)  # settle: no second push may arrive
        pushes = notify.recorder.sent("line")
    assert len(pushes) == 1
    assert pushes[0]["to"] == "U-hanako"
    assert "Acme株式会社" in pushes[0]["texts"][0] and "Sato" in pushes[0]["texts"][0]
    assert [(d["action"], d["reason"], d["channel"]) for d in decisions] == [("send", "allowed", "line")]


async def test_scout_at_23_local_is_deferred_to_08_and_then_sent():
    async with NotifyHarness(start=jst(2, 23)) as notify:
        await notify.register("cand-1")
        await notify.publish(scout("cand-1"))
        [deferred] = await notify.until(notify_decisions(notify, "cand-1"))
        assert (deferred["action"], deferred["reason"]) == ("defer", "quiet_hours")
        assert datetime.fromisoformat(deferred["until"]) == jst(3, 8)
        assert notify.recorder.sent("line") == []
        notify.clock.set(jst(3, 8, 1))
        pushes = await notify.until(lambda: notify.recorder.sent("line"))
        decisions = await notify.decisions("cand-1")
    assert len(pushes) == 1
    assert [(d["action"], d["attempt"]) for d in decisions] == [("send", 1), ("defer", 0)]


def notify_decisions(notify, candidate):
    async def check():
        return await notify.decisions(candidate)
    return check


async def test_provider_429_is_retried_later_and_sent_once():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        notify.recorder.add_fault(Fault(provider="line", mode="429", count=2, retry_after=1))
        await notify.register("cand-1")
        await notify.publish(scout("cand-1"))
        await notify.until(lambda: notify.recorder.sent("line"))
        await asyncio.sleep(1.0)
        outcomes = [r["outcome"] for r in notify.recorder.requests if r["provider"] == "line"]
        pushes = notify.recorder.sent("line")
    assert outcomes == ["429", "429", "accepted"]
    assert len(pushes) == 1


async def test_duplicate_event_and_duplicate_intent_send_once():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.register("cand-1")
        envelope = await notify.publish(scout("cand-1"))
        await notify.publish(None, envelope=envelope)  # the producer's outbox republished it
        await notify.until(lambda: notify.recorder.sent("line"))
        # The same intent requested again on notify.intents (another service re-sent it): no second send.
        [decision] = await notify.until(lambda: notify.decisions("cand-1"))
        from tsunagu_shared.events import NotificationRequested

        await notify.publish(NotificationRequested(
            intent_id=decision["intent_id"], recipient_id="cand-1", template="scout_received", category="outreach",
            company_id="co-a", variables={"company_name": "Acme"}, requested_at=jst(2, 12)))
        await asyncio.sleep(1.5)
        pushes = notify.recorder.sent("line")
    assert len(pushes) == 1


async def test_stop_by_sms_means_nothing_more_from_anyone_and_one_confirmation():
    from tsunagu_emulators.twilio_api import sign_twilio

    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.register("cand-2", preferred="sms", line_user_id=None, email="")
        url = notify.settings.public_base_url + "/webhooks/twilio/inbound"
        for n, word in enumerate(["配信停止", "STOP"]):
            form = {"MessageSid": f"SMin{n}", "From": "+818012345678", "To": "+815000000000", "Body": word}
            answer = await notify.client.post("/webhooks/twilio/inbound", data=form,
                                              headers={"X-Twilio-Signature": sign_twilio(
                                                  notify.settings.twilio_auth_token, url, form)})
            assert answer.status_code == 200, answer.text
        await notify.until(lambda: notify.recorder.sent("twilio"))
        await notify.publish(scout("cand-2", company="co-a", scout_id="s-a"))
        await notify.publish(scout("cand-2", company="co-b", name="Beta", scout_id="s-b"))
        decisions = await notify.until(
            lambda: _count(notify, "cand-2", 3), timeout=30)
        await asyncio.sleep(1.0)
        texts = [m["body"] for m in notify.recorder.sent("twilio")]
    assert len(texts) == 1 and "停止" in texts[0]
    reasons = sorted(d["reason"] for d in decisions)
    assert reasons == ["opt_out_confirmation", "opted_out", "opted_out"]


async def _count(notify, candidate, n):
    decisions = await notify.decisions(candidate)
    return decisions if len(decisions) >= n else None
