"""Interview times survive the round trip: proposed with an offset, stored in UTC, shown and
published in the student's zone; reschedule and cancel reach the broker once each."""

from datetime import UTC, datetime, timedelta, timezone

from tsunagu_shared.events import ContactPreferencesChanged


def _future_at(hour_utc: int, days: int = 10) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour_utc, 0, tzinfo=UTC)


async def test_interview_time_zone_round_trip_reschedule_and_cancel(stack):
    await stack.publish(ContactPreferencesChanged(candidate_id="hanako", time_zone="America/New_York",
                                                  changed_at=datetime.now(UTC)))
    await stack.scout("acme", "hanako")
    tid = (await stack.thread_of("hanako", "acme"))["thread_id"]
    acme, hanako = stack.recruiter("acme"), stack.student("hanako")
    tokyo = timezone(timedelta(hours=9))
    first = _future_at(1).astimezone(tokyo)           # 10:00 in Tokyo
    second = _future_at(5).astimezone(tokyo)

    async def zone_known():
        return await stack.app.state.container.scheduling.directory.zone_of("hanako") == "America/New_York"
    await stack.eventually(zone_known)

    # A naive time is refused, naming the field.
    naive = await stack.client.post(f"/threads/{tid}/interviews", headers=acme,
                                    json={"slots": [{"starts_at": "2030-01-01T10:00:00"}]})
    assert naive.status_code == 422 and naive.json()["detail"][0]["loc"][-1] == "starts_at"
    # The student cannot propose.
    assert (await stack.client.post(f"/threads/{tid}/interviews", headers=hanako,
                                    json={"slots": [{"starts_at": first.isoformat()}]})).status_code == 403

    proposed = await stack.client.post(f"/threads/{tid}/interviews", headers=acme, json={
        "slots": [{"starts_at": second.isoformat(), "duration_minutes": 45}, {"starts_at": first.isoformat()}],
        "location": "Online"})
    assert proposed.status_code == 201, proposed.text
    interview = proposed.json()
    assert interview["candidate_time_zone"] == "America/New_York"
    slot = interview["slots"][0]  # sorted by time: the 10:00 Tokyo slot first
    assert datetime.fromisoformat(slot["starts_at"]) == first
    assert datetime.fromisoformat(slot["starts_at_local"]) == first
    assert datetime.fromisoformat(slot["starts_at_local"]).utcoffset() in (timedelta(hours=-5), timedelta(hours=-4))

    iid = interview["interview_id"]
    other = await stack.client.post(f"/interviews/{iid}/request-other-times", headers=hanako,
                                    json={"note": "Mornings in New York please"})
    assert other.json()["status"] == "alternatives_requested"
    assert (await stack.client.post(f"/interviews/{iid}/choose", headers=hanako,
                                    json={"slot_id": slot["slot_id"]})).status_code == 409
    renewed = await stack.client.post(f"/interviews/{iid}/slots", headers=acme,
                                      json={"slots": [{"starts_at": first.isoformat()}]})
    new_slot = renewed.json()["slots"][0]
    bad_zone = await stack.client.post(f"/interviews/{iid}/choose", headers=hanako,
                                       json={"slot_id": new_slot["slot_id"], "time_zone": "Mars/Olympus"})
    assert bad_zone.status_code == 422 and bad_zone.json()["detail"][0]["loc"][-1] == "time_zone"
    chosen = await stack.client.post(f"/interviews/{iid}/choose", headers=hanako,
                                     json={"slot_id": new_slot["slot_id"], "time_zone": "Europe/London"})
    assert chosen.status_code == 200 and chosen.json()["status"] == "scheduled"

    # Reschedule by the company (new slots), then she cancels.
    moved = await stack.client.post(f"/interviews/{iid}/slots", headers=acme,
                                    json={"slots": [{"starts_at": second.isoformat()}], "note": "A conflict, sorry"})
    assert moved.json()["status"] == "proposed"
    again = await stack.client.post(f"/interviews/{iid}/choose", headers=hanako,
                                    json={"slot_id": moved.json()["slots"][0]["slot_id"]})
    # The zone she chose last time sticks: London time, same instant.
    assert datetime.fromisoformat(again.json()["starts_at_local"]) == second
    assert again.json()["starts_at_local"].endswith("+00:00")
    cancelled = await stack.client.post(f"/interviews/{iid}/cancel", headers=hanako, json={"note": "Got ill"})
    assert cancelled.json()["status"] == "cancelled"
    assert (await stack.client.post(f"/interviews/{iid}/cancel", headers=acme, json={})).status_code == 409

    types = ("InterviewTimesRequested", "InterviewScheduled", "InterviewRescheduled", "InterviewScheduled",
             "InterviewCancelled")
    published = await stack.facts(*types)
    envelopes = [e for e in published if e.type != "InterviewSlotsProposed"]
    assert [e.type for e in envelopes] == list(types)
    # Three requests to pick a time: the first proposal and the two sets of new times.
    proposals = [e.event() for e in published if e.type == "InterviewSlotsProposed"]
    assert [len(p.slots) for p in proposals] == [2, 1, 1] and len({p.proposal_id for p in proposals}) == 3
    asked = envelopes.pop(0).event()  # her answer to the first proposal: other times, please
    assert (asked.interview_id, asked.note) == (iid, "Mornings in New York please")
    assert asked.proposal_id == proposals[0].proposal_id
    scheduled = envelopes[0].event()
    assert scheduled.starts_at == first and scheduled.starts_at.utcoffset() == timedelta(0)
    assert scheduled.candidate_time_zone == "Europe/London"
    assert datetime.fromisoformat(scheduled.starts_at_local) == first
    assert (scheduled.duration_minutes, scheduled.location, scheduled.company_name) == (60, "Online", "acme Inc.")
    rescheduled = envelopes[1].event()
    assert (rescheduled.previous_starts_at, rescheduled.requested_by) == (first, "recruiter")
    assert envelopes[2].event().starts_at == second and envelopes[2].event().candidate_time_zone == "Europe/London"
    cancel = envelopes[3].event()
    assert (cancel.cancelled_by, cancel.starts_at, cancel.reason) == ("candidate", second, "Got ill")


async def test_a_proposal_asks_her_to_pick_before_a_deadline(stack):
    """InterviewSlotsProposed carries the slots and the deadline (given, or 3 days by default but never
    after the last slot), in the same write as the proposal; a bad deadline is refused naming respond_by."""
    await stack.scout("acme", "yui")
    tid = (await stack.thread_of("yui", "acme"))["thread_id"]
    acme = stack.recruiter("acme")
    early, late = _future_at(1, days=2), _future_at(1, days=10)
    url = f"/threads/{tid}/interviews"

    naive = await stack.client.post(url, headers=acme, json={"slots": [{"starts_at": late.isoformat()}],
                                                             "respond_by": "2030-01-01T10:00:00"})
    assert naive.status_code == 422 and naive.json()["detail"][0]["loc"][-1] == "respond_by"
    after_last = await stack.client.post(url, headers=acme, json={
        "slots": [{"starts_at": early.isoformat()}], "respond_by": (early + timedelta(hours=1)).isoformat()})
    assert after_last.status_code == 409 and after_last.json()["detail"].startswith("respond_by")
    past = await stack.client.post(url, headers=acme, json={
        "slots": [{"starts_at": late.isoformat()}], "respond_by": "2020-01-01T10:00:00+09:00"})
    assert past.status_code == 409 and past.json()["detail"].startswith("respond_by")

    before = datetime.now(UTC)
    default = await stack.client.post(url, headers=acme, json={"slots": [{"starts_at": late.isoformat()}]})
    after = datetime.now(UTC)
    assert default.status_code == 201, default.text
    deadline = datetime.fromisoformat(default.json()["respond_by"])
    assert before + timedelta(days=3) <= deadline <= after + timedelta(days=3)
    short = await stack.client.post(url, headers=acme, json={"slots": [{"starts_at": early.isoformat()}]})
    assert datetime.fromisoformat(short.json()["respond_by"]) == early  # cut at the only slot
    chosen_by = (late - timedelta(days=5)).replace(microsecond=0)
    given = await stack.client.post(url, headers=acme, json={"slots": [{"starts_at": late.isoformat()}],
                                                             "respond_by": chosen_by.isoformat()})
    assert datetime.fromisoformat(given.json()["respond_by"]) == chosen_by

    published = [e for e in await stack.facts(*["InterviewSlotsProposed"] * 3) if e.type == "InterviewSlotsProposed"]
    proposals = {e.event().interview_id: e for e in published}
    assert len(published) == len(proposals) == 3  # one per proposal; the refused requests published nothing
    envelope = proposals[given.json()["interview_id"]]
    proposal = envelope.event()
    assert envelope.subject == tid
    assert (proposal.candidate_id, proposal.company_id, proposal.company_name) == ("yui", "acme", "acme Inc.")
    assert proposal.respond_by == chosen_by
    assert [(s.slot_id, s.starts_at) for s in proposal.slots] == [
        (given.json()["slots"][0]["slot_id"], late)]
    assert proposal.respond_url == f"https://tsunagu.example/threads/{tid}"
