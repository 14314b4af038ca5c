"""NotificationCancelled, CompanyBlocked and the outreach digest, end to end on the broker."""

import asyncio
from datetime import UTC, datetime

from tsunagu_notify.testing import NotifyHarness, jst
from tsunagu_shared.events import CompanyBlocked, NotificationCancelled, NotificationRequested, ScoutSent


def scout(candidate: str, company: str, name: str) -> ScoutSent:
    return ScoutSent(scout_id=f"s-{company}", company_id=company, company_name=name, recruiter_id="r-1",
                     recruiter_name="Sato", candidate_id=candidate, reason="Your robotics club work",
                     sent_at=datetime.now(UTC))


async def decided(notify, candidate, n):
    decisions = await notify.decisions(candidate)
    return decisions if len(decisions) >= n else None


async def test_a_cancelled_reminder_is_never_sent_and_says_cancelled():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.register("cand-1")
        reminder = NotificationRequested(
            intent_id="ev-reminder-1", recipient_id="cand-1", template="event_reminder", category="transactional",
            variables={"event_title": "Tech Night", "starts_at_local": "2025-06-05 18:00 (JST)"},
            not_before=jst(4, 18), requested_at=jst(2, 12))
        await notify.publish(reminder)
        [deferred] = await notify.until(lambda: decided(notify, "cand-1", 1))
        assert (deferred["action"], deferred["reason"]) == ("defer", "not_before")
        await notify.publish(NotificationCancelled(intent_ids=["ev-reminder-1"], recipient_id="cand-1",
                                                   reason="registration_cancelled", cancelled_at=jst(2, 13)))
        cancelled = await notify.until(lambda: decided(notify, "cand-1", 2))
        notify.clock.set(jst(4, 18, 5))
        await asyncio.sleep(1.0)  # settle: the scheduler must not send it
        pushes = [m for m in notify.recorder.sent("line") if "Tech Night" in m["texts"][0]]
    assert (cancelled[0]["action"], cancelled[0]["reason"], cancelled[0]["detail"]) == (
        "suppress", "cancelled", "registration_cancelled")
    assert pushes == []


async def test_nothing_from_a_blocked_company_reaches_her():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.register("cand-1")
        await notify.publish(CompanyBlocked(candidate_id="cand-1", company_id="co-x", blocked_at=jst(2, 12)))
        await notify.until(lambda: _blocked(notify, "cand-1"))
        await notify.publish(scout("cand-1", "co-x", "Blocked Inc"))
        await notify.publish(scout("cand-1", "co-y", "Welcome Inc"))
        decisions = await notify.until(lambda: decided(notify, "cand-1", 2))
        await notify.until(lambda: notify.recorder.sent("line"))
        await asyncio.sleep(0.5)
        pushes = notify.recorder.sent("line")
    by_company = {d["company_id"]: (d["action"], d["reason"]) for d in decisions}
    assert by_company == {"co-x": ("suppress", "blocked"), "co-y": ("send", "allowed")}
    assert len(pushes) == 1 and "Welcome Inc" in pushes[0]["texts"][0]


async def _blocked(notify, candidate):
    return (await notify.app.state.container.store.load(candidate)).state.blocked_companies


async def test_scouts_piling_up_at_night_arrive_as_one_digest_in_the_morning():
    async with NotifyHarness(start=jst(2, 23)) as notify:
        await notify.register("cand-1")
        for company, name in (("co-a", "Acme"), ("co-b", "Beta"), ("co-c", "Gamma")):
            await notify.publish(scout("cand-1", company, name))
        decisions = await notify.until(lambda: decided(notify, "cand-1", 3))
        assert sorted(d["action"] for d in decisions) == ["defer", "digest", "digest"]
        notify.clock.set(jst(3, 8, 1))
        await notify.until(lambda: notify.recorder.sent("line"))
        await asyncio.sleep(1.0)  # settle: one message only
        pushes = notify.recorder.sent("line")
        state = (await notify.app.state.container.store.load("cand-1")).state
    assert len(pushes) == 1
    assert all(name in pushes[0]["texts"][0] for name in ("Acme", "Beta", "Gamma")) and "3件" in pushes[0]["texts"][0]
    assert len(state.sends) == 1 and set(state.sends[0].company_ids) == {"co-a", "co-b", "co-c"}


async def test_cancelling_the_digest_holder_still_delivers_what_was_merged_into_it():
    async with NotifyHarness(start=jst(2, 23)) as notify:
        await notify.register("cand-1")
        for company, name in (("co-a", "Acme"), ("co-b", "Beta"), ("co-c", "Gamma")):
            await notify.publish(scout("cand-1", company, name))
        decisions = await notify.until(lambda: decided(notify, "cand-1", 3))
        [holder] = [d for d in decisions if d["action"] == "defer"]
        merged = {d["intent_id"]: d["company_id"] for d in decisions if d["action"] == "digest"}
        await notify.publish(NotificationCancelled(intent_ids=[holder["intent_id"]], recipient_id="cand-1",
                                                   reason="scout_withdrawn", cancelled_at=jst(2, 23, 5)))
        # the holder says cancelled; the oldest merged scout takes over and waits for the morning
        after = await notify.until(lambda: decided(notify, "cand-1", 5))
        notify.clock.set(jst(3, 8, 1))
        await notify.until(lambda: notify.recorder.sent("line"))
        await asyncio.sleep(1.0)  # settle: one message only
        pushes = notify.recorder.sent("line")
        final = await notify.decisions("cand-1")
        state = (await notify.app.state.container.store.load("cand-1")).state
    cancelled = [d for d in after if d["intent_id"] == holder["intent_id"] and d["reason"] == "cancelled"]
    assert len(cancelled) == 1
    [new_holder] = [d for d in after if d["intent_id"] in merged and d["action"] == "defer"]
    assert new_holder["reason"] == "quiet_hours"
    sent = [d for d in final if d["action"] == "send"]
    assert [(d["intent_id"], d["reason"]) for d in sent] == [(new_holder["intent_id"], "digest_due")]
    assert len(pushes) == 1
    text = pushes[0]["texts"][0]
    assert "Beta" in text and "Gamma" in text and "Acme" not in text and "2件" in text
    assert len(state.sends) == 1 and set(state.sends[0].company_ids) == set(merged.values()) == {"co-b", "co-c"}
