"""The chapters of the demo story, each through the public HTTP APIs only."""

import csv
import io
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tsunagu_tools.demo.cast import Company, Person, link_line, register_student
from tsunagu_tools.demo.summary import Summary
from tsunagu_tools.demo.timeline import Timeline, parse_time
from tsunagu_tools.stack import Api, Tokens, eventually

TOKYO = ZoneInfo("Asia/Tokyo")


class NotifyClock:
    """notify's clock on a local stack (PUT /admin/clock); the other services keep wall time."""

    def __init__(self, api: Api, tokens: Tokens, timeline: Timeline) -> None:
        self.api, self.tokens, self.timeline = api, tokens, timeline

    async def now(self) -> datetime:
        body = await self.api.json("GET", "notify", "/admin/clock", token=self.tokens.admin())
        return parse_time(body["now"])

    async def set(self, moment: datetime) -> None:
        await self.api.call("PUT", "notify", "/admin/clock", token=self.tokens.admin(),
                            json={"now": moment.isoformat()})
        self.timeline.say(f"  ⏰ notify's clock → {moment.astimezone(TOKYO):%Y-%m-%d %H:%M} (Asia/Tokyo)")


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day.astimezone(TOKYO).replace(hour=hour, minute=minute, second=0, microsecond=0)


def _is(template: str, company: Company | None = None, action: str | None = None):
    def match(d: dict) -> bool:
        return (d["template"] == template and (company is None or d["company_id"] == company.company_id)
                and (action is None or d["action"] == action))
    return match


async def register(api: Api, tokens: Tokens, tl: Timeline, hana: Person) -> None:
    tl.chapter("1. Hana registers, chooses LINE, links LINE, records her selection progress")
    await register_student(api, tokens, hana)
    tl.step(f"{hana.name} creates her profile: LINE consented and preferred, time zone {hana.time_zone}")
    await link_line(api, tokens, hana)
    tl.step(f"her LINE account is linked ({hana.line_user_id[:9]}…)")
    entries = [{"company_name": "東都電機", "stage": "third_interview", "date": datetime.now(TOKYO).date().isoformat()}]
    await api.call("PUT", "profile", "/profiles/me/selection-progress", token=tokens.candidate(hana.candidate_id),
                   json={"entries": entries})
    tl.step("she records: reached the third interview at 東都電機")
    await tl.show_events()


async def scout(api: Api, tokens: Tokens, company: Company, person: Person, reason: str) -> dict:
    """The recruiter sends a scout (waiting until the scout service knows the student)."""
    token = tokens.recruiter(company.recruiter_id, company.company_id, company.recruiter_name)

    async def sent():
        return await api.json("POST", "scout", "/scouts", token=token,
                              json={"candidate_id": person.candidate_id, "reason": reason})

    return await eventually(sent, what=f"scout service to know {person.name}")


LAZY_REASON = "We think you would be a great fit for our company."


async def lazy_scout(api: Api, tokens: Tokens, company: Company, person: Person) -> str:
    """A scout whose reason could go to anyone: scout refuses it (422) and says what is missing."""
    token = tokens.recruiter(company.recruiter_id, company.company_id, company.recruiter_name)

    async def refused():
        answer = await api.call("POST", "scout", "/scouts", token=token, expect=(422,),
                                json={"candidate_id": person.candidate_id, "reason": LAZY_REASON})
        return answer.json()["detail"]

    return await eventually(refused, what=f"scout service to know {person.name}")


async def scout_a(api: Api, tokens: Tokens, tl: Timeline, a: Company, hana: Person, summary: Summary) -> None:
    tl.chapter(f"2. {a.recruiter_name} ({a.name}) searches and scouts Hana")
    token = tokens.recruiter(a.recruiter_id, a.company_id, a.recruiter_name)

    async def found():
        page = await api.json("GET", "profile", "/profiles?stage=third_interview&industry=robotics&limit=100",
                              token=token)
        return [p for p in page["items"] if p["candidate_id"] == hana.candidate_id]

    hits = await eventually(found, what="Hana in the recruiter's search")
    tl.step(f"search stage=third_interview industry=robotics → {hits[0]['display_name']} ({hits[0]['school']})")
    profile = await api.json("GET", "profile", f"/profiles/{hana.candidate_id}", token=token)
    tl.step(f"opens her profile: self-PR 「{profile['self_pr']}」")
    summary.lazy_scout_refused = await lazy_scout(api, tokens, a, hana)
    tl.step(f"tries a lazy scout (\"{LAZY_REASON}\") → refused: {summary.lazy_scout_refused}")
    await scout(api, tokens, a, hana, "制御ソフトの経験が、当社の協働ロボット開発にぴったりだと思いました。")
    tl.step("sends a scout with a reason written for her (it names the 制御ソフト of her self-PR)")
    await tl.await_decisions(hana, lambda ds: any(map(_is("scout_received", a, "send"), ds)),
                             what="the decision on scout A")
    summary.scout_a_line_pushes = sum(1 for m in tl.messages_to(hana)
                                      if m["provider"] == "line" and a.name in str(m.get("texts")))


async def scout_b_at_night(api: Api, tokens: Tokens, tl: Timeline, clock: NotifyClock, day0: datetime,
                           b: Company, hana: Person, summary: Summary) -> None:
    tl.chapter(f"3. {b.recruiter_name} ({b.name}) scouts Hana at 23:00 her time")
    await clock.set(at(day0, 23))
    await scout(api, tokens, b, hana, "食品工場の自動化で、あなたのロボット制御の知識を活かしてほしいです。")
    tl.step("sends a scout at 23:00 — inside her quiet hours")
    decisions = await tl.await_decisions(hana, lambda ds: any(map(_is("scout_received", b, "defer"), ds)),
                                         what="the deferral of scout B")
    deferral = next(d for d in decisions if _is("scout_received", b, "defer")(d))
    until = parse_time(deferral["until"])
    summary.scout_b_deferred_until = until.astimezone(ZoneInfo(hana.time_zone)).strftime("%H:%M")
    await clock.set(until + timedelta(minutes=1))
    decisions = await tl.await_decisions(hana, lambda ds: any(map(_is("scout_received", b, "send"), ds)),
                                         what="scout B to fall due in the morning")
    sent = next(d for d in decisions if _is("scout_received", b, "send")(d))
    summary.scout_b_delivered_at = parse_time(sent["decided_at"]).astimezone(
        ZoneInfo(hana.time_zone)).strftime("%H:%M")


async def stop_story(api: Api, tokens: Tokens, tl: Timeline, a: Company, others: list[Company], ken: Person,
                     summary: Summary) -> None:
    tl.chapter("4. Ken answers an SMS with STOP — and hears from nobody again")
    await register_student(api, tokens, ken)
    tl.step(f"{ken.name} registers with SMS as his only channel")
    await scout(api, tokens, a, ken, "ロボットコンテストでの実績を拝見し、ぜひお話ししたいと思いました。")
    tl.step(f"{a.name} scouts him")
    await tl.await_decisions(ken, lambda ds: any(map(_is("scout_received", a, "send"), ds)),
                             what="the SMS to Ken")
    stopped_at = time.time()
    answer = await api.emulator("POST", "/simulate/inbound-sms", json={
        "url": f"{api.urls.service('notify')}/webhooks/twilio/inbound", "from": ken.phone,
        "to": "+815000000000", "body": "STOP"})
    tl.step(f"he replies STOP (Twilio's signed inbound webhook → notify answered {answer['status']})")
    await tl.await_decisions(ken, lambda ds: any(map(_is("opt_out_confirmation"), ds)),
                             what="the opt-out confirmation")
    for company in others:
        await scout(api, tokens, company, ken, "物流ロボットの研究内容に強く惹かれました。ぜひ一度お話を。")
        tl.step(f"{company.name} scouts him after his STOP")
    await tl.await_decisions(
        ken, lambda ds: all(any(map(_is("scout_received", c), ds)) for c in others), what="decisions after STOP")
    later = tl.messages_to(ken, after=stopped_at)
    summary.stop_confirmations = sum(1 for d in tl.decisions[ken.candidate_id]
                                     if d["template"] == "opt_out_confirmation" and d["action"] == "send")
    summary.messages_after_stop = len(later) - summary.stop_confirmations
    summary.decisions_after_stop = [f"{d['action']}:{d['reason']}" for d in tl.decisions[ken.candidate_id]
                                    if d["template"] == "scout_received" and d["company_id"] != a.company_id]


async def campaign(api: Api, tokens: Tokens, tl: Timeline, clock: NotifyClock, c: Company, deadline: datetime,
                   summary: Summary) -> None:
    tl.chapter(f"5. {c.name} imports an ATS CSV: template messages, reminders, export")
    token = tokens.recruiter(c.recruiter_id, c.company_id, c.recruiter_name)
    rows = [("ATS-0001", "中村 さくら", "sakura"), ("ATS-0002", "伊藤 大輝", "daiki"), ("ATS-0003", "渡辺 玲", "rei")]
    body = "応募者ID,氏名,メール,応募職種\n" + "".join(
        f"{ats},{name},{mail}.{tl.cast.run}@applicants.example,倉庫オペレーション\n" for ats, name, mail in rows)
    started = await api.json("POST", "scout", "/campaigns", token=token, files={
        "file": ("applicants.csv", body.encode("utf-8"), "text/csv")}, data={
        "name": "2027年度 倉庫オペレーション説明会", "deadline": deadline.isoformat()})
    tl.step(f"uploads applicants.csv as the ATS wrote it ({len(rows)} rows; 氏名 and メール recognised without "
            f"a mapping, free column 応募者ID kept verbatim), "
            f"respond by {deadline.astimezone(TOKYO):%m-%d %H:%M}")

    async def finished():
        job = await api.json("GET", "scout", f"/campaigns/{started['campaign_id']}", token=token)
        return job if job["status"] != "running" else None

    job = await eventually(finished, what="the import job")
    tl.step(f"import job {job['status']}: {job['rows_imported']}/{job['rows_total']} rows, "
            f"{job['rows_failed']} failed")
    summary.campaign_rows_imported = job["rows_imported"]
    export = await _export(api, token, started["campaign_id"])
    applicants = []
    for row in export:
        person = Person(f"ap-{row['応募者ID']}", row["tsunagu_candidate_id"], row["氏名"], email=row["メール"])
        tl.cast.people[person.key] = person
        applicants.append((person, row["tsunagu_share_url"].rsplit("/", 1)[-1]))
    for person, _ in applicants:
        await tl.await_decisions(person, lambda ds: any(map(_is("campaign_message"), ds)),
                                 what=f"the campaign message to {person.name}")
    summary.campaign_messages = sum(1 for p, _ in applicants for m in tl.messages_to(p))
    responder, share_token = applicants[0]
    await api.call("POST", "scout", f"/campaign-responses/{share_token}")
    tl.step(f"{responder.name} answers through her share URL")
    await tl.show_events()
    await clock.set(deadline - timedelta(hours=2))
    await _reminders(tl, [p for p, _ in applicants], responder, summary)
    export = await _export(api, token, started["campaign_id"])
    summary.export_rows = len(export)
    statuses: dict[str, int] = {}
    for row in export:
        statuses[row["tsunagu_status"]] = statuses.get(row["tsunagu_status"], 0) + 1
    summary.export_statuses = statuses
    tl.step(f"downloads the export for the ATS: columns {', '.join(export[0].keys())}")
    for row in export:
        tl.say(f"        │ {row['応募者ID']} {row['氏名']} → {row['tsunagu_status']}")


async def _export(api: Api, token: str, campaign_id: str) -> list[dict]:
    response = await api.call("GET", "scout", f"/campaigns/{campaign_id}/export", token=token)
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


async def _reminders(tl: Timeline, applicants: list[Person], responder: Person, summary: Summary) -> None:
    """Reminders to non-responders before the deadline, if this build has the sequence."""
    silent = [p for p in applicants if p is not responder]
    try:
        # a reminder may first be deferred (too soon after the campaign message): wait for the send
        for person in silent:
            await tl.await_decisions(person, lambda ds: any(map(_is("campaign_reminder", action="send"), ds)),
                                     what=f"a campaign reminder to {person.name}", timeout=20)
        summary.reminders_available = True
    except TimeoutError:
        tl.note("no campaign_reminder decision appeared before the deadline: this build has no reminder "
                "sequence, so no reminder was sent")
    for person in applicants:
        decisions = await tl.fetch_decisions(person)
        tl.show_new(person)
        sends = sum(1 for d in decisions if d["template"] == "campaign_reminder" and d["action"] == "send")
        summary.reminders_sent += sends
        summary.reminders_to_responders += sends if person is responder else 0
        summary.non_responders_reminded += 1 if sends and person is not responder else 0
