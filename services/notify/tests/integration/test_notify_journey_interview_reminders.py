"""Interview-time reminders: the company asked her to pick a slot before a deadline (InterviewSlotsProposed
on the real broker); reminders go out on their days before it and stop the moment she picks, writes, or
the company replaces the request with new times."""

import asyncio
from datetime import datetime, timedelta

from tsunagu_notify.testing import NotifyHarness, jst
from tsunagu_shared.events import InterviewScheduled, InterviewSlotsProposed, MessageSent, ProposedSlot


def proposal(candidate: str, proposal_id: str, *, proposed_at: datetime, respond_by: datetime,
             interview_id: str = "iv-1") -> InterviewSlotsProposed:
    return InterviewSlotsProposed(
        interview_id=interview_id, proposal_id=proposal_id, thread_id=f"t-{candidate}", company_id="co-a",
        candidate_id=candidate, slots=[ProposedSlot(slot_id="s1", starts_at=respond_by + timedelta(days=2))],
        respond_by=respond_by, proposed_at=proposed_at, respond_url=f"https://t.example/threads/t-{candidate}",
        company_name="Acme株式会社")


def reminders(notify, address="hanako@example.jp"):
    return [m for m in notify.recorder.sent("email") if address in m["to"] and "リマインド" in m["subject"]]


async def steps_of(notify, candidate, n, status=None):
    steps = [s for s in await notify.app.state.container.journeys.of(candidate)
             if s["sequence"] == "interview_reminder" and (status is None or s["status"] == status)]
    return steps if len(steps) >= n else None


def utc(step_time: datetime, like: datetime) -> datetime:
    return step_time.replace(tzinfo=like.tzinfo)  # the database returns naive UTC


async def test_reminder_goes_out_before_the_deadline_and_stops_the_moment_she_picks_a_slot():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.register("cand-1", preferred="email", line_user_id=None)
        proposed = notify.clock.now().replace(microsecond=0)
        respond_by = proposed + timedelta(days=3)                      # 5 June 12:00 JST
        await notify.publish(proposal("cand-1", "p1", proposed_at=proposed, respond_by=respond_by))
        steps = await notify.until(lambda: steps_of(notify, "cand-1", 2))
        assert [(s["step"], utc(s["due_at"], proposed)) for s in steps] == [
            ("two_days_before", respond_by - timedelta(days=2)), ("half_day_before", respond_by - timedelta(hours=12))]

        first_due = respond_by - timedelta(days=2)                     # 3 June 12:00 JST
        notify.clock.set(first_due - timedelta(minutes=1))
        await asyncio.sleep(1.0)  # settle: the runner polls every 0.2 s; nothing may go out early
        assert reminders(notify) == []
        notify.clock.set(first_due + timedelta(minutes=1))
        await notify.until(lambda: len(reminders(notify)) == 1)
        sent = reminders(notify)[0]
        assert "Acme株式会社" in sent["subject"] and "https://t.example/threads/t-cand-1" in sent["body"]

        await notify.publish(InterviewScheduled(
            interview_id="iv-1", thread_id="t-cand-1", company_id="co-a", candidate_id="cand-1",
            starts_at=respond_by + timedelta(days=2), candidate_time_zone="Asia/Tokyo",
            scheduled_at=notify.clock.now()))
        stopped = await notify.until(lambda: steps_of(notify, "cand-1", 1, "stopped"))
        notify.clock.set(respond_by - timedelta(hours=1))             # past the second step's day
        await asyncio.sleep(1.5)
        decisions = [d for d in await notify.decisions("cand-1") if d["template"] == "interview_reminder"]
        count = len(reminders(notify))
    assert [(s["step"], s["stopped_by"]) for s in stopped] == [("half_day_before", "goal:InterviewScheduled")]
    assert [(d["action"], d["reason"]) for d in decisions] == [("send", "allowed")]
    sent_at = datetime.fromisoformat(decisions[0]["decided_at"])
    assert first_due <= sent_at < first_due + timedelta(minutes=5) and sent_at < respond_by
    assert count == 1


async def test_new_times_replace_the_request_quiet_hours_hold_and_her_message_stops_reminders():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.register("cand-2", preferred="email", line_user_id=None)
        first = notify.clock.now().replace(microsecond=0)
        await notify.publish(proposal("cand-2", "p1", proposed_at=first, respond_by=first + timedelta(days=3)))
        await notify.until(lambda: steps_of(notify, "cand-2", 2))
        # The company offers new times before any reminder: the first request's steps stop, new ones start.
        renewed = jst(2, 18)
        respond_by = jst(6, 10)                                        # half a day before: 5 June 22:00 JST
        notify.clock.set(renewed)
        await notify.publish(proposal("cand-2", "p2", proposed_at=renewed, respond_by=respond_by))
        steps = await notify.until(lambda: steps_of(notify, "cand-2", 4))
        by_round = {(s["round"], s["step"]): (s["status"], utc(s["due_at"], renewed)) for s in steps}
        assert by_round[("p1", "two_days_before")][0] == by_round[("p1", "half_day_before")][0] == "stopped"
        assert by_round[("p2", "two_days_before")] == ("pending", jst(4, 10))
        assert by_round[("p2", "half_day_before")] == ("pending", jst(5, 22))

        notify.clock.set(jst(4, 10, 1))
        await notify.until(lambda: len(reminders(notify)) == 1)
        # 22:00 in Tokyo is inside her quiet hours: deferred to 08:00, still before the 10:00 deadline.
        notify.clock.set(jst(5, 22, 1))
        await notify.until(lambda: _deferred(notify, "cand-2"))
        assert len(reminders(notify)) == 1
        notify.clock.set(jst(6, 8, 1))
        await notify.until(lambda: len(reminders(notify)) == 2)

        # A third request; she answers by writing to the company: its reminders stop at once.
        notify.clock.set(jst(6, 9))
        await notify.publish(proposal("cand-2", "p3", proposed_at=jst(6, 9), respond_by=jst(10, 9)))
        await notify.until(lambda: steps_of(notify, "cand-2", 6))
        await notify.publish(MessageSent(thread_id="t-cand-2", message_id="m-1", company_id="co-a",
                                         candidate_id="cand-2", sender_role="candidate", sender_id="cand-2",
                                         sent_at=jst(6, 9, 30)))
        stopped = await notify.until(lambda: _round_stopped(notify, "cand-2", "p3"))
        notify.clock.set(jst(10, 8))
        await asyncio.sleep(1.5)
        decisions = [d for d in await notify.decisions("cand-2") if d["template"] == "interview_reminder"]
        count = len(reminders(notify))
    assert {s["stopped_by"] for s in stopped} == {"goal:CandidateMessageSent"}
    assert sorted((d["action"], d["reason"]) for d in decisions) == [
        ("defer", "quiet_hours"), ("send", "allowed"), ("send", "allowed")]
    deferral = next(d for d in decisions if d["action"] == "defer")
    assert datetime.fromisoformat(deferral["until"]) == jst(6, 8)
    assert count == 2


async def _deferred(notify, candidate):
    decisions = await notify.decisions(candidate)
    return any(d["action"] == "defer" for d in decisions if d["template"] == "interview_reminder")


async def _round_stopped(notify, candidate, round_id):
    steps = [s for s in await steps_of(notify, candidate, 0) or [] if s.get("round") == round_id]
    return steps if steps and all(s["status"] == "stopped" for s in steps) else None
