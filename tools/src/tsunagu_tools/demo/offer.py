"""Chapter 6: she replies, the interview is scheduled, the offer comes with after-care until she accepts."""

from datetime import timedelta

from tsunagu_tools.demo.cast import Company, Person
from tsunagu_tools.demo.chapters import NotifyClock, at
from tsunagu_tools.demo.summary import Summary
from tsunagu_tools.demo.timeline import Timeline, parse_time
from tsunagu_tools.stack import Api, Tokens, eventually

AFTERCARE = "offer_aftercare"


def _aftercare(decision: dict) -> bool:
    return decision["template"].startswith(AFTERCARE)


async def reply_to_offer(api: Api, tokens: Tokens, tl: Timeline, clock: NotifyClock, a: Company, hana: Person,
                         summary: Summary) -> None:
    tl.chapter(f"6. Hana replies to {a.name}: thread, interview, offer, after-care, acceptance")
    her = tokens.candidate(hana.candidate_id)
    recruiter = tokens.recruiter(a.recruiter_id, a.company_id, a.recruiter_name)

    async def thread():
        threads = await api.json("GET", "messaging", "/threads", token=her)
        return next((t for t in threads if t["company_id"] == a.company_id), None)

    opened = await eventually(thread, what="the thread opened by scout A")
    await api.call("POST", "messaging", f"/threads/{opened['thread_id']}/messages", token=her,
                   json={"body": "スカウトありがとうございます。ぜひお話を伺いたいです。"})
    tl.step("she replies in the thread the scout opened")
    today = await clock.now()  # notify's day: the notices and the after-care count from it
    starts = at(today + timedelta(days=7), 14)
    interview = await api.json("POST", "messaging", f"/threads/{opened['thread_id']}/interviews", token=recruiter,
                               json={"slots": [{"starts_at": starts.isoformat(), "duration_minutes": 60}],
                                     "location": "オンライン"})
    await api.call("POST", "messaging", f"/interviews/{interview['interview_id']}/choose", token=her,
                   json={"slot_id": interview["slots"][0]["slot_id"]})
    tl.step(f"{a.recruiter_name} proposes {starts:%m-%d %H:%M}; she picks it")
    await tl.await_decisions(hana, lambda ds: any(d["template"] == "interview_scheduled" for d in ds),
                             what="the interview notice")
    respond_by = at(today + timedelta(days=30), 18)
    offer = await api.json("POST", "messaging", f"/threads/{opened['thread_id']}/offers", token=recruiter,
                           json={"terms": "制御ソフトウェアエンジニア（正社員）", "respond_by": respond_by.isoformat()})
    tl.step("the offer is issued")
    await tl.await_decisions(hana, lambda ds: any(d["template"] == "offer_issued" for d in ds),
                             what="the offer notice")
    offered_at = await clock.now()
    await clock.set(at(offered_at + timedelta(days=3), 12))
    try:
        await tl.await_decisions(hana, lambda ds: any(map(_aftercare, ds)), what="an after-care step", timeout=12)
        summary.aftercare_available = True
    except TimeoutError:
        tl.note("no offer_aftercare decision three days after the offer: this build has no after-care "
                "sequence, so none was sent")
    await api.call("POST", "messaging", f"/offers/{offer['offer_id']}/accept", token=her)
    accepted_at = await clock.now()
    tl.step("she accepts the offer")
    await clock.set(at(accepted_at + timedelta(days=14), 12))
    tl.step("two weeks pass on notify's clock: does after-care go on?")
    decisions = await tl.settle(hana, 6)
    after = [d for d in decisions if _aftercare(d) and d["action"] == "send"
             and parse_time(d["decided_at"]) > accepted_at]
    summary.aftercare_before_acceptance = sum(1 for d in decisions if _aftercare(d) and d["action"] == "send"
                                              and parse_time(d["decided_at"]) <= accepted_at)
    summary.aftercare_after_acceptance = len(after)
    tl.note(f"after-care messages after acceptance: {len(after)}")
