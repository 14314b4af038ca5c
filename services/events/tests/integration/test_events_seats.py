"""Seats and waitlists on the real database, events and reminders on the real broker."""

import asyncio
from datetime import UTC, datetime, timedelta

from tsunagu_shared.testing import TopicReader


def of_type(envelopes, type_):
    return [e.event() for e in envelopes if e.type == type_]


async def test_concurrent_registrations_never_exceed_capacity(service):
    event = await service.publish(capacity=3)
    students = [f"cand-{i}" for i in range(12)]
    async with TopicReader(service.events_topic) as events, TopicReader(service.intents_topic) as intents:
        responses = await asyncio.gather(*(service.register(event["event_id"], s) for s in students))
        assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
        statuses = [r.json()["status"] for r in responses]
        assert statuses.count("registered") == 3 and statuses.count("waitlisted") == 9

        shown = (await service.http.get(f"/events/{event['event_id']}", headers=service.student("x"))).json()
        assert (shown["seats_taken"], shown["seats_left"], shown["waitlist_count"]) == (3, 0, 9)

        await events.wait_for_types(*["EventPublished"] + ["EventRegistered"] * 12)
        await intents.wait_for_types(*["NotificationRequested"] * 6)
        published = await events.settle(1.0)
        reminders = of_type(await intents.settle(0.2), "NotificationRequested")
    registered = of_type(published, "EventRegistered")
    seated = {r.candidate_id for r in registered if r.status == "registered"}
    assert len(seated) == 3 and len(registered) == 12
    # Two reminders per seat holder, none for the waitlist, keyed by the recipient.
    assert sorted(r.recipient_id for r in reminders) == sorted(list(seated) * 2)
    assert {r.template for r in reminders} == {"event_reminder"}


async def test_a_second_registration_of_the_same_student_is_refused(service):
    event = await service.publish(capacity=5)
    first, second = await asyncio.gather(*(service.register(event["event_id"], "cand-1") for _ in range(2)))
    assert {first.status_code, second.status_code} <= {201, 409}
    again = await service.register(event["event_id"], "cand-1")
    assert again.status_code == 409 and "already registered" in again.json()["detail"]
    shown = (await service.http.get(f"/events/{event['event_id']}", headers=service.admin())).json()
    assert shown["seats_taken"] == 1


async def test_racing_cancellations_promote_the_first_waitlisted_student_exactly_once(service):
    event = await service.publish(capacity=2)
    event_id = event["event_id"]
    for student in ["seat-1", "seat-2", "wait-1"]:  # in this order: wait-1 is first in line
        assert (await service.register(event_id, student)).status_code == 201
    async with TopicReader(service.events_topic) as events, TopicReader(service.intents_topic) as intents:
        cancelled = await asyncio.gather(service.cancel(event_id, "seat-1"), service.cancel(event_id, "seat-2"))
        assert [c.status_code for c in cancelled] == [204, 204]
        await events.wait_for(lambda _: len(of_type(events.envelopes(), "EventRegistrationCancelled")) == 2)
        await intents.wait_for(lambda _: len(of_type(intents.envelopes(), "NotificationCancelled")) == 2)
        published = await events.settle(1.5)
        requested = await intents.settle(0.2)

    promoted = [e for e in of_type(published, "EventRegistered") if e.status == "promoted"]
    assert [p.candidate_id for p in promoted] == ["wait-1"]
    assert await service.status_of(event_id, "wait-1") == "registered"
    shown = (await service.http.get(f"/events/{event_id}", headers=service.admin())).json()
    assert (shown["seats_taken"], shown["waitlist_count"]) == (1, 0)
    # The leavers' reminders are called off; the promoted student gets her own, once.
    called_off = {c.recipient_id: c.intent_ids for c in of_type(requested, "NotificationCancelled")}
    assert set(called_off) == {"seat-1", "seat-2"} and all(len(ids) == 2 for ids in called_off.values())
    hers = [r for r in of_type(requested, "NotificationRequested") if r.recipient_id == "wait-1"]
    assert len(hers) == 2


async def test_each_cancellation_promotes_the_next_in_line_in_order(service):
    event = await service.publish(capacity=2)
    event_id = event["event_id"]
    for student in ["seat-1", "seat-2", "wait-1", "wait-2", "wait-3"]:
        assert (await service.register(event_id, student)).status_code == 201
    waiting = (await service.http.get(f"/events/{event_id}/registration", headers=service.student("wait-3"))).json()
    assert waiting["waitlist_position"] == 3 and waiting["check_in_code"] is None
    await asyncio.gather(service.cancel(event_id, "seat-1"), service.cancel(event_id, "seat-2"))
    assert [await service.status_of(event_id, s) for s in ["wait-1", "wait-2", "wait-3"]] == [
        "registered", "registered", "waitlisted"]
    # A waitlisted student who leaves frees no seat.
    assert (await service.cancel(event_id, "wait-3")).status_code == 204
    shown = (await service.http.get(f"/events/{event_id}", headers=service.admin())).json()
    assert (shown["seats_taken"], shown["waitlist_count"]) == (2, 0)
    assert (await service.cancel(event_id, "wait-3")).status_code == 404


async def test_a_student_who_cancelled_may_register_again(service):
    event = await service.publish(capacity=1)
    event_id = event["event_id"]
    first = (await service.register(event_id, "cand-1")).json()
    assert (await service.cancel(event_id, "cand-1")).status_code == 204
    again = await service.register(event_id, "cand-1")
    assert again.status_code == 201 and again.json()["status"] == "registered"
    assert again.json()["registration_id"] != first["registration_id"]


async def test_registration_closes_at_the_deadline(service):
    now = datetime.now(UTC)
    event = await service.publish(capacity=5, registration_closes_at=(now - timedelta(minutes=1)).isoformat())
    closed = await service.register(event["event_id"], "cand-1")
    assert closed.status_code == 409 and "closed" in closed.json()["detail"]
