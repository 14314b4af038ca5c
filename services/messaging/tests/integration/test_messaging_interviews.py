"""Interview times survive the round trip: proposed with an offset, stored in UTC, shown and
published in the student's zone; reschedule and cancel reach the broker once each."""

from datetime import datetime, timedelta, timezone

from tsunagu_shared.events import ContactPreferencesChanged


def _future_at(hour_utc: int, days: int = 10) -> datetime:
    day = (datetime.now(timezone.utc) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour_utc, 0, tzinfo=timezone.utc)


async def test_interview_time_zone_round_trip_reschedule_and_cancel(stack):
    await stack.publish(ContactPreferencesChanged(candidate_id="hanako", time_zone="America/New_York",
                                                  changed_at=datetime.now(timezone.utc)))
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

    types = ("InterviewScheduled", "InterviewRescheduled", "InterviewScheduled", "InterviewCancelled")
    envelopes = await stack.facts(*types)
    assert [e.type for e in envelopes] == list(types)
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
