"""Issue #8: a segment send to 10,000 candidates respects every cap, end to end (POST /segment-sends →
intents outbox → notify.intents → policy stage → deliveries → SMTP emulator), on the real broker.

The candidates' contact state is written straight into the changelog their partition's owner restores
from, and their segment attributes into the database, rather than through 10,000 ContactPreferencesChanged
events: the intake is not under test here, the fan-out and the policy are. Each tenth of them is in one situation:
  0, 6-9  reachable by email          -> exactly one email
  1       opted out of email          -> suppress / opted_out, nothing sent
  2       5 outreach in the last 7 days (platform-wide week cap)  -> suppress / platform_cap
  3       2 messages from this company in 30 days (company cap)   -> suppress / company_cap
  4       lives in New York, where it is 23:00 (quiet hours)      -> defer / quiet_hours, nothing sent yet
  5       2 outreach earlier today (per-person daily cap)          -> defer / platform_cap, nothing sent yet
Assertions come from the decision log (one decision per candidate, the expected reason) and from the
SMTP emulator's log (one email per reachable candidate, none to anyone else).

Scale: TSUNAGU_SEGMENT_CANDIDATES. `make test` sends to 1,000 (about a minute on a quiet 2-core
machine); the issue's 10,000 runs with TSUNAGU_SEGMENT_CANDIDATES=10000 — it passed on 2026-11-26 in
12 min 57 s on the shared 2-core machine (the pipeline decides about 10-15 intents/s; README,
Performance), too long for every CI run.
"""

import asyncio
import os
import time
from collections import Counter
from datetime import timedelta

import pytest
from tsunagu_notify.domain.model import ChannelStatus, RecipientState, SendRecord
from tsunagu_notify.testing import CONSENT_AT, NotifyHarness, jst

CANDIDATES = int(os.environ.get("TSUNAGU_SEGMENT_CANDIDATES", "1000"))
# a bounded wait, not a performance assertion: at least 5 decisions/s, and never under 170 s
BUDGET_SECONDS = float(os.environ.get("TSUNAGU_SEGMENT_BUDGET_SECONDS", max(170.0, CANDIDATES / 5)))
NOW = jst(2, 12)  # Monday noon in Tokyo: no quiet hours for the Tokyo candidates
COMPANY = "co-seg"

EXPECTED = {0: ("send", "allowed"), 1: ("suppress", "opted_out"), 2: ("suppress", "platform_cap"),
            3: ("suppress", "company_cap"), 4: ("defer", "quiet_hours"), 5: ("defer", "platform_cap")}


def situation(n: int) -> int:
    group = n % 10
    return 0 if group >= 6 else group


def candidate(n: int) -> RecipientState:
    group = situation(n)
    email = ChannelStatus(address=f"seg{n:05d}@example.jp", consented_at=CONSENT_AT, consent_source="profile",
                          opted_out_at=CONSENT_AT + timedelta(days=1) if group == 1 else None)
    sends: tuple[SendRecord, ...] = ()
    if group == 2:
        sends = tuple(SendRecord(at=NOW - timedelta(days=1, hours=k), channel="email", category="outreach",
                                 company_ids=(f"co-{k}",)) for k in range(5))
    elif group == 3:
        sends = tuple(SendRecord(at=NOW - timedelta(days=d), channel="email", category="outreach",
                                 company_ids=(COMPANY,)) for d in (10, 20))
    elif group == 5:
        sends = tuple(SendRecord(at=jst(2, h), channel="email", category="outreach", company_ids=(f"co-{h}",))
                      for h in (1, 2))
    return RecipientState(recipient_id=f"seg-{n:05d}", known=True, display_name=f"学生{n}", preferred_channel="email",
                          time_zone="America/New_York" if group == 4 else "Asia/Tokyo", channels={"email": email},
                          sends=sends)


PEOPLE = [candidate(n) for n in range(CANDIDATES)]


async def seed_state(settings) -> None:
    """Her contact state as intake would have left it: in the changelog, before notify starts."""
    from tsunagu_notify.domain.recipient import OwnedRecipient
    from tsunagu_shared.kafka import EventPublisher, ensure_topics
    from tsunagu_shared.kafka.admin import wanted_topics
    from tsunagu_shared.topics import NOTIFY_RECIPIENT_STATE, topic_name

    await ensure_topics(settings.kafka_bootstrap, wanted_topics(settings.topic_prefix, settings.topic_partitions))
    publisher = EventPublisher(bootstrap=settings.kafka_bootstrap, topic_prefix=settings.topic_prefix)
    await publisher.start()
    try:
        changelog = topic_name(NOTIFY_RECIPIENT_STATE, settings.topic_prefix)
        for person in PEOPLE:
            await publisher.publish_raw(changelog, OwnedRecipient(state=person).model_dump_json().encode(),
                                        key=person.recipient_id.encode(), headers=[])
    finally:
        await publisher.stop()


async def seed_attributes(notify: NotifyHarness) -> None:
    """Segment attributes, as ProfileCreated would have left them."""
    container = notify.app.state.container
    for start in range(0, CANDIDATES, 1000):
        await container.journeys.attributes.insert_many([
            {"_id": p.recipient_id, "graduation_year": 2027} for p in PEOPLE[start:start + 1000]])
    # one candidate outside the segment: never asked
    await container.journeys.attributes.insert_one({"_id": "seg-outsider", "graduation_year": 2026})


@pytest.mark.slow
@pytest.mark.timeout(BUDGET_SECONDS + 300)
async def test_segment_send_respects_every_cap():
    async with NotifyHarness(start=NOW, topic_partitions=6, before_start=seed_state) as notify:
        await seed_attributes(notify)
        # the company's registered name, as its CompanyStatusChanged would have left it
        await notify.app.state.container.store.remember_name(f"company:{COMPANY}", "セグメント株式会社")
        people = PEOPLE
        started = time.monotonic()
        answer = await notify.client.post("/segment-sends", headers=notify.headers(), json={
            "segment": {"graduation_years": [2027]}, "message": "説明会のご案内", "company_id": COMPANY,
            "send_id": "seg-scale-1"})
        assert answer.status_code == 202, answer.text
        assert answer.json()["requested"] == CANDIDATES
        decisions = notify.app.state.container.store.decisions
        reachable = {p.channels["email"].address for n, p in enumerate(people) if situation(n) == 0}

        async def progress():
            emails = len(notify.recorder.sent("email"))
            return f"{await decisions.count_documents({})}/{CANDIDATES} decisions, {emails}/{len(reachable)} emails"

        deadline = started + BUDGET_SECONDS
        while time.monotonic() < deadline:
            if (len(notify.recorder.sent("email")) >= len(reachable)
                    and await decisions.count_documents({}) >= CANDIDATES):
                break
            await asyncio.sleep(2.0)
        else:
            raise AssertionError(f"not done in {BUDGET_SECONDS:.0f} s: {await progress()} "
                                 f"({(await decisions.count_documents({})) / BUDGET_SECONDS:.1f} decisions/s)")
        log = [d async for d in decisions.find({}, {"recipient_id": 1, "action": 1, "reason": 1})]
        emails = notify.recorder.sent("email")
        states = {d["_id"]: RecipientState.model_validate(d["state"])
                  async for d in notify.app.state.container.store.recipients.find({}, {"state": 1})}

    by_person = Counter(d["recipient_id"] for d in log)
    assert len(by_person) == CANDIDATES and set(by_person.values()) == {1}  # one decision each
    assert "seg-outsider" not in by_person
    wrong = [(d["recipient_id"], d["action"], d["reason"]) for d in log
             if (d["action"], d["reason"]) != EXPECTED[situation(int(d["recipient_id"][4:]))]]
    assert wrong == []
    recipients = Counter(to for e in emails for to in e["to"])
    assert set(recipients) == reachable and set(recipients.values()) == {1}  # once each, nobody else
    for state in states.values():
        outreach = [s for s in state.sends if s.category == "outreach"]
        assert len([s for s in outreach if s.at > NOW - timedelta(days=7)]) <= 5
        assert len([s for s in outreach if COMPANY in s.company_ids and s.at > NOW - timedelta(days=30)]) <= 2
        assert len([s for s in outreach if s.at >= jst(2, 0)]) <= 2
