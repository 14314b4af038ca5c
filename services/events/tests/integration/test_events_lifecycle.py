"""Time zones, roles, check-in, mutual interest, event cancellation and ProfileDeleted, end to end."""

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tsunagu_events.domain import ledger
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import ProfileDeleted
from tsunagu_shared.kafka import EventPublisher
from tsunagu_shared.outbox import HAS_PENDING
from tsunagu_shared.testing import TopicReader, kafka_bootstrap


def of_type(envelopes, type_):
    return [e.event() for e in envelopes if e.type == type_]


async def test_times_are_stored_in_utc_and_shown_in_the_event_zone(service):
    tokyo_evening = (datetime.now(UTC) + timedelta(days=40)).astimezone(ZoneInfo("Asia/Tokyo"))
    tokyo_evening = tokyo_evening.replace(hour=19, minute=0, second=0, microsecond=0)
    event = await service.publish(capacity=5, starts_at=tokyo_evening.isoformat(), time_zone="America/New_York")
    utc = datetime.fromisoformat(event["starts_at"])
    assert utc.utcoffset() == timedelta(0) and utc == tokyo_evening
    local = datetime.fromisoformat(event["starts_at_local"])
    assert local == tokyo_evening and local.utcoffset() == tokyo_evening.astimezone(
        ZoneInfo("America/New_York")).utcoffset()

    async with TopicReader(service.intents_topic) as intents:
        assert (await service.register(event["event_id"], "cand-1")).status_code == 201
        await intents.wait_for_types("NotificationRequested", "NotificationRequested")
        reminders = sorted(of_type(intents.envelopes(), "NotificationRequested"), key=lambda r: r.not_before)
    assert [r.not_before for r in reminders] == [utc - timedelta(days=1), utc - timedelta(hours=1)]
    assert [r.intent_id.rsplit(":", 1)[1] for r in reminders] == ["1d", "1h"]
    assert reminders[0].variables["starts_at_local"] == local.isoformat()
    assert reminders[0].variables["venue"] == "Shibuya Hall 3F" and reminders[0].category == "transactional"


async def test_bad_times_are_refused_naming_the_field(service):
    base = {"title": "t", "venue": "v", "capacity": 3}
    naive = await service.http.post("/events", json={**base, "starts_at": "2030-01-01T10:00:00",
                                                      "time_zone": "Asia/Tokyo"}, headers=service.admin())
    assert naive.status_code == 422 and naive.json()["detail"][0]["loc"][-1] == "starts_at"
    zone = await service.http.post("/events", json={**base, "starts_at": "2030-01-01T10:00:00+09:00",
                                                     "time_zone": "Mars/Olympus"}, headers=service.admin())
    assert zone.status_code == 422 and zone.json()["detail"][0]["loc"][-1] == "time_zone"
    past = await service.http.post("/events", json={**base, "starts_at": "2020-01-01T10:00:00+09:00",
                                                     "time_zone": "Asia/Tokyo"}, headers=service.admin())
    assert past.status_code == 409 and "future" in past.json()["detail"]


async def test_who_may_publish_and_cancel(service):
    as_student = await service.http.post("/events", json={}, headers=service.student("cand-1"))
    assert as_student.status_code == 403
    starts = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    body = {"title": "Company A info session", "starts_at": starts, "time_zone": "Asia/Tokyo",
            "online_url": "https://meet.example.com/a", "capacity": 30}
    matching = await service.http.post("/events", json=body, headers=service.recruiter("comp-a"))
    assert matching.status_code == 403
    session = await service.publish(capacity=30, kind="info_session", company_ids=["comp-z"],
                                    headers=service.recruiter("comp-a"))
    assert session["organizer_company_id"] == "comp-a" and session["company_ids"] == ["comp-a"]
    other = await service.http.post(f"/events/{session['event_id']}/cancel", json={},
                                    headers=service.recruiter("comp-b"))
    assert other.status_code == 403
    own = await service.http.post(f"/events/{session['event_id']}/cancel", json={"reason": "speaker ill"},
                                  headers=service.recruiter("comp-a"))
    assert own.status_code == 200 and own.json()["status"] == "cancelled"


async def test_mutual_interest_is_matched_only_when_both_sides_marked_it(service):
    event = await service.publish(capacity=5, starts_in=timedelta(minutes=30))
    event_id = event["event_id"]
    mine = (await service.register(event_id, "cand-1")).json()
    assert (await service.register(event_id, "cand-2")).status_code == 201
    company = service.recruiter("comp-a")

    early = await service.http.post(f"/events/{event_id}/interests", json={"company_id": "comp-a"},
                                    headers=service.student("cand-1"))
    assert early.status_code == 409 and "checked in" in early.json()["detail"]
    scanned = await service.http.post(f"/events/{event_id}/check-ins", json={"code": mine["check_in_code"]},
                                      headers=company)
    assert scanned.status_code == 201 and scanned.json()["candidate_id"] == "cand-1"
    reused = await service.http.post(f"/events/{event_id}/check-ins", json={"code": mine["check_in_code"]},
                                     headers=service.student("cand-1"))
    assert reused.status_code == 409

    async with TopicReader(service.events_topic) as events:
        outsider = await service.http.post(f"/events/{event_id}/interests", json={"candidate_id": "cand-1"},
                                           headers=service.recruiter("comp-x"))
        assert outsider.status_code == 403
        one_side = await service.http.post(f"/events/{event_id}/interests", json={"company_id": "comp-a"},
                                           headers=service.student("cand-1"))
        assert one_side.status_code == 200 and one_side.json()["matched"] is False
        other_company = await service.http.post(f"/events/{event_id}/interests", json={"candidate_id": "cand-1"},
                                                headers=service.recruiter("comp-b"))
        assert other_company.json()["matched"] is False
        await events.wait_for_types("EventAttended")
        assert of_type(await events.settle(1.0), "MutualInterestMatched") == []

        both = await asyncio.gather(*(service.http.post(f"/events/{event_id}/interests",
                                                        json={"candidate_id": "cand-1"}, headers=company)
                                      for _ in range(3)))
        assert {r.json()["matched"] for r in both} == {True}
        await events.wait_for_types("MutualInterestMatched")
        matched = of_type(await events.settle(1.0), "MutualInterestMatched")
    assert [(m.company_id, m.candidate_id) for m in matched] == [("comp-a", "cand-1")]
    # A student who did not check in cannot be marked.
    absent = await service.http.post(f"/events/{event_id}/interests", json={"candidate_id": "cand-2"},
                                     headers=company)
    assert absent.status_code == 409
    attendance = (await service.http.get(f"/events/{event_id}/attendance", headers=company)).json()
    assert (attendance["attended"], attendance["not_attended"]) == (1, 1)


async def test_cancelling_an_event_tells_every_registrant_and_calls_off_reminders(service):
    event = await service.publish(capacity=1)
    event_id = event["event_id"]
    for student in ["seat-1", "wait-1"]:
        assert (await service.register(event_id, student)).status_code == 201
    async with TopicReader(service.events_topic) as events, TopicReader(service.intents_topic) as intents:
        done = await service.http.post(f"/events/{event_id}/cancel", json={"reason": "typhoon"},
                                       headers=service.admin())
        assert done.status_code == 200
        await events.wait_for_types("EventCancelled")
        await intents.wait_for(lambda _: len(of_type(intents.envelopes(), "NotificationCancelled")) == 1
                               and len([r for r in of_type(intents.envelopes(), "NotificationRequested")
                                        if r.template == "event_cancelled"]) == 2)
    cancelled = of_type(events.envelopes(), "EventCancelled")[0]
    assert sorted(cancelled.candidate_ids) == ["seat-1", "wait-1"] and cancelled.reason == "typhoon"
    notices = [r for r in of_type(intents.envelopes(), "NotificationRequested") if r.template == "event_cancelled"]
    assert sorted(n.recipient_id for n in notices) == ["seat-1", "wait-1"]
    called_off = of_type(intents.envelopes(), "NotificationCancelled")[0]
    assert called_off.recipient_id == "seat-1" and len(called_off.intent_ids) == 2
    late = await service.register(event_id, "cand-9")
    assert late.status_code == 409


async def test_profile_deleted_frees_her_seat_promotes_the_waitlist_and_erases_her(service):
    event = await service.publish(capacity=1)
    event_id = event["event_id"]
    for student in ["leaver", "waiting"]:
        assert (await service.register(event_id, student)).status_code == 201
    publisher = EventPublisher(bootstrap=kafka_bootstrap(), topic_prefix=service.settings.topic_prefix)
    await publisher.start()
    try:
        async with TopicReader(service.events_topic) as events, TopicReader(service.intents_topic) as intents:
            deleted = ProfileDeleted(candidate_id="leaver", deleted_at=datetime.now(UTC))
            await publisher.publish(Envelope.wrap(deleted, source="test"))
            await events.wait_for(lambda _: any(e.status == "promoted"
                                                for e in of_type(events.envelopes(), "EventRegistered")))
            await intents.wait_for_types("NotificationCancelled")
            published = await events.settle(1.0)
    finally:
        await publisher.stop()
    promoted = [e.candidate_id for e in of_type(published, "EventRegistered") if e.status == "promoted"]
    assert promoted == ["waiting"]
    assert of_type(published, "EventRegistrationCancelled")[0].reason == "profile_deleted"
    assert of_type(intents.envelopes(), "NotificationCancelled")[0].recipient_id == "leaver"
    assert await service.status_of(event_id, "leaver") == "http 404"
    db = service.http._transport.app.state.container.infra.db
    for collection in ["registrations", "ledger"]:
        leftovers = [d async for d in db[collection].find({})]
        assert "leaver" not in repr(leftovers), collection


async def test_an_erasure_run_again_empties_versions_a_crash_left_unpruned(service):
    """A process that died between storing her cancellation and pruning the older versions left
    them holding her id; the redelivered ProfileDeleted finds nothing to change and must still empty them."""
    event_id = (await service.publish(capacity=1))["event_id"]
    assert (await service.register(event_id, "leaver")).status_code == 201
    handlers = service.http._transport.app.state.container.handlers
    [registration] = await handlers.registrations.of_candidate("leaver")
    current = await handlers.seating.event(event_id)
    changed, facts = ledger.give_up(current, registration_id=registration.registration_id, reason="profile_deleted",
                                    now=datetime.now(UTC))
    assert await handlers.seating.events.commit(changed, *handlers._wrap(facts))  # ... and the process died here
    db = handlers.seating.events._ledger.database
    assert "leaver" in repr([d async for d in db["ledger"].find({})])

    await handlers.forget_candidate(candidate_id="leaver")
    for _ in range(200):  # her cancellation's own envelope leaves once the relay published it
        if not await db["ledger"].count_documents(HAS_PENDING):
            break
        await asyncio.sleep(0.05)
    for collection in ["registrations", "ledger"]:
        leftovers = [d async for d in db[collection].find({})]
        assert "leaver" not in repr(leftovers), collection
