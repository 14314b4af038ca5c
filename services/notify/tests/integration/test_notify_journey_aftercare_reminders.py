"""Offer after-care and campaign reminders: stored steps fired through the policy, stopped by their goals."""

import asyncio
from datetime import datetime, timedelta

from tsunagu_notify.testing import NotifyHarness, jst
from tsunagu_shared.events import (
    CampaignApplicantImported,
    CampaignApplicantResponded,
    CompanyStatusChanged,
    OfferAccepted,
    OfferIssued,
    OfferLapsed,
)


def offer_pushes(notify):
    """LINE pushes about her offer (her LINE welcome journey runs beside after-care)."""
    return [m for m in notify.recorder.sent("line") if "内定" in m["texts"][0]]


def templates_of(decisions, name):
    return [d for d in decisions if d["template"] == name]


async def test_offer_aftercare_checks_in_until_she_accepts():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.register("cand-1")
        issued = notify.clock.now().replace(microsecond=0)  # the database keeps milliseconds
        await notify.publish(OfferIssued(offer_id="of-1", thread_id="t-1", company_id="co-a", candidate_id="cand-1",
                                         respond_by=issued + timedelta(days=20), issued_at=issued,
                                         company_name="Acme株式会社"))
        store = notify.app.state.container.journeys
        steps = await notify.until(lambda: _steps(store, "cand-1", 4))
        assert [(s["step"], s["due_at"].replace(tzinfo=issued.tzinfo)) for s in steps] == [
            (f"day{d}", issued + timedelta(days=d))
            for d in (2, 5, 9, 14)]
        await notify.until(lambda: len(offer_pushes(notify)) == 1)  # offer_issued itself
        notify.clock.set(issued + timedelta(days=2, minutes=-1))
        await asyncio.sleep(1.0)  # settle: no check-in before day 2
        assert len(offer_pushes(notify)) == 1
        notify.clock.set(issued + timedelta(days=2, minutes=1))
        await notify.until(lambda: len(offer_pushes(notify)) == 2)
        await notify.publish(OfferAccepted(offer_id="of-1", thread_id="t-1", company_id="co-a", candidate_id="cand-1",
                                           accepted_at=notify.clock.now()))
        await notify.until(lambda: _stopped(store, "cand-1", 3))
        stopped = await _steps(store, "cand-1", 4)
        notify.clock.set(issued + timedelta(days=19))
        await asyncio.sleep(1.5)  # settle: the runner and scheduler poll every 0.2 s
        decisions = await notify.decisions("cand-1")
        pushes = offer_pushes(notify)
    aftercare = templates_of(decisions, "offer_aftercare")
    assert [(d["action"], d["reason"]) for d in aftercare] == [("send", "allowed")]
    day2 = issued + timedelta(days=2)
    assert day2 <= datetime.fromisoformat(aftercare[0]["decided_at"]) < day2 + timedelta(minutes=5)
    assert len(pushes) == 2  # the offer itself and one check-in
    assert [(s["step"], s["stopped_by"]) for s in stopped if s["status"] == "stopped"] == [
        ("day5", "goal:OfferAccepted"), ("day9", "goal:OfferAccepted"), ("day14", "goal:OfferAccepted")]


async def test_a_late_offer_event_keeps_her_days_and_catches_up_the_step_already_due():
    """The event says when the offer was issued; it reaches notify 3 days later (an outage). Day 2 is not
    skipped: it goes out at once; day 5 stays on day 5 counted from the offer, not from the arrival."""
    async with NotifyHarness(start=jst(5, 12)) as notify:
        await notify.register("cand-2", preferred="email", line_user_id=None)
        arrived = notify.clock.now()
        issued = (arrived - timedelta(days=3)).replace(microsecond=0)
        await notify.publish(OfferIssued(offer_id="of-2", thread_id="t-2", company_id="co-a", candidate_id="cand-2",
                                         respond_by=issued + timedelta(days=20), issued_at=issued,
                                         company_name="Acme株式会社"))
        store = notify.app.state.container.journeys
        steps = await notify.until(lambda: _steps(store, "cand-2", 4))
        await notify.until(lambda: _aftercare_sent(notify, "cand-2", 1))
        notify.clock.set(issued + timedelta(days=5, minutes=1))
        await notify.until(lambda: _aftercare_sent(notify, "cand-2", 2))
        decisions = templates_of(await notify.decisions("cand-2"), "offer_aftercare")
    due = {s["step"]: s["due_at"].replace(tzinfo=issued.tzinfo) for s in steps}
    assert due["day5"] == issued + timedelta(days=5) and due["day9"] == issued + timedelta(days=9)
    assert arrived <= due["day2"] < arrived + timedelta(minutes=1)  # caught up when it arrived
    sent = sorted(datetime.fromisoformat(d["decided_at"]) for d in decisions if d["action"] == "send")
    assert len(sent) == 2
    assert arrived <= sent[0] < arrived + timedelta(minutes=5)
    assert issued + timedelta(days=5) <= sent[1] < issued + timedelta(days=5, minutes=5)


async def test_a_lapsed_offer_ends_aftercare_and_tells_her_naming_the_company():
    """OfferLapsed carries no company name: notify names the company from its directory."""
    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.publish(CompanyStatusChanged(company_id="co-b", name="Beta株式会社", status="active",
                                                  change="joined", changed_at=notify.clock.now()))
        await notify.register("cand-4", preferred="email", line_user_id=None)
        issued = notify.clock.now().replace(microsecond=0)
        await notify.publish(OfferIssued(offer_id="of-4", thread_id="t-4", company_id="co-b", candidate_id="cand-4",
                                         respond_by=issued + timedelta(days=20), issued_at=issued))
        store = notify.app.state.container.journeys
        await notify.until(lambda: _steps(store, "cand-4", 4))
        # (the clock is not moved to the deadline: the point is what the lapse itself does)
        await notify.publish(OfferLapsed(offer_id="of-4", thread_id="t-4", company_id="co-b", candidate_id="cand-4",
                                         respond_by=issued + timedelta(days=20), lapsed_at=notify.clock.now()))
        await notify.until(lambda: any("回答期限が過ぎました" in m["subject"] for m in notify.recorder.sent("email")))
        steps = [s for s in await store.of("cand-4") if s["sequence"] == "offer_aftercare"]
        [lapsed] = [m for m in notify.recorder.sent("email") if "回答期限が過ぎました" in m["subject"]]
    assert "Beta株式会社" in lapsed["subject"] and "Beta株式会社 via Tsunagu" in lapsed["from_header"]
    assert "承諾できなくなりました" in lapsed["body"]
    assert steps and {s["status"] for s in steps} == {"stopped"}
    assert {s["stopped_by"] for s in steps} == {"goal:OfferLapsed"}


async def _aftercare_sent(notify, candidate, n):
    decisions = templates_of(await notify.decisions(candidate), "offer_aftercare")
    return len([d for d in decisions if d["action"] == "send"]) >= n


async def test_campaign_reminders_fire_before_the_deadline_and_stop_on_response():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.register("cand-3", preferred="email", line_user_id=None)
        imported = notify.clock.now().replace(microsecond=0)  # the database keeps milliseconds
        respond_by = imported + timedelta(days=10)
        await notify.publish(CampaignApplicantImported(
            campaign_id="cp-1", company_id="co-c", company_name="Gamma", candidate_id="cand-3",
            display_name="Hanako", email="hanako@example.jp", share_url="https://t.example/s/1",
            respond_by=respond_by, imported_at=imported))
        store = notify.app.state.container.journeys
        steps = await notify.until(lambda: _steps(store, "cand-3", 2))
        assert [s["due_at"].replace(tzinfo=respond_by.tzinfo) for s in steps] == [
            respond_by - timedelta(days=3), respond_by - timedelta(days=1)]
        await notify.until(lambda: notify.recorder.sent("email"))  # the campaign message
        notify.clock.set(respond_by - timedelta(days=3) + timedelta(minutes=5))
        await notify.until(lambda: len(notify.recorder.sent("email")) == 2)
        assert "リマインド" in notify.recorder.sent("email")[1]["subject"]
        await notify.publish(CampaignApplicantResponded(campaign_id="cp-1", company_id="co-c", candidate_id="cand-3",
                                                        responded_at=notify.clock.now()))
        await notify.until(lambda: _stopped(store, "cand-3", 1))
        notify.clock.set(respond_by - timedelta(hours=12))
        await asyncio.sleep(1.5)
        decisions = await notify.decisions("cand-3")
        emails = notify.recorder.sent("email")
    assert [(d["action"], d["reason"]) for d in templates_of(decisions, "campaign_reminder")] == [("send", "allowed")]
    assert len(emails) == 2


async def _steps(store, candidate, n):
    steps = [s for s in await store.of(candidate) if s["sequence"] != "line_welcome"]
    return steps if len(steps) >= n else None


async def _stopped(store, candidate, n):
    steps = await store.of(candidate)
    return len([s for s in steps if s["status"] == "stopped"]) >= n
