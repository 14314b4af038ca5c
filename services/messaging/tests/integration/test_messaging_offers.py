"""The offer state machine on the real stack: one open offer per thread, no accept after a
decline or after the deadline, a lapsed deadline visible and published (OfferLapsed), each outcome
published once."""

from datetime import UTC, datetime, timedelta

from tsunagu_shared.clock import SettableClock


async def test_offer_issue_decline_lapse_and_accept(stack, in_days):
    await stack.scout("acme", "hanako")
    tid = (await stack.thread_of("hanako", "acme"))["thread_id"]
    acme, hanako = stack.recruiter("acme"), stack.student("hanako")
    scheduling = stack.app.state.container.scheduling

    async def issue(respond_by):
        return await stack.client.post(f"/threads/{tid}/offers", headers=acme,
                                       json={"terms": "Backend engineer, Tokyo, 4.8M JPY", "respond_by": respond_by})

    assert (await issue("2020-01-01T00:00:00+09:00")).status_code == 409  # a deadline in the past
    assert (await issue("2031-01-01T00:00:00")).status_code == 422        # a naive deadline
    first = await issue(in_days(7))
    assert first.status_code == 201 and first.json()["status"] == "open"
    duplicate = await issue(in_days(9))
    assert duplicate.status_code == 409 and "open offer" in duplicate.json()["detail"]
    offer_id = first.json()["offer_id"]
    assert (await stack.client.post(f"/offers/{offer_id}/accept", headers=acme)).status_code == 403
    assert (await stack.client.post(f"/offers/{offer_id}/decline", headers=hanako, json={})).status_code == 422

    declined = await stack.client.post(f"/offers/{offer_id}/decline", headers=hanako,
                                       json={"reason": "I chose another company"})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    late_accept = await stack.client.post(f"/offers/{offer_id}/accept", headers=hanako)
    assert late_accept.status_code == 409 and "already declined" in late_accept.json()["detail"]

    # A second offer; its deadline lapses (the service's clock moves past it).
    second = await issue(in_days(3))
    assert second.status_code == 201
    second_id = second.json()["offer_id"]
    real_clock = scheduling.clock
    scheduling.clock = SettableClock(real_clock.now() + timedelta(days=4))
    try:
        lapsed = await stack.client.post(f"/offers/{second_id}/accept", headers=hanako)
        assert lapsed.status_code == 409 and "deadline" in lapsed.json()["detail"]
        # The lapse is published once (the background loop does the same on its own schedule).
        await scheduling.lapse_due_offers()
        assert (await scheduling.offers.get(second_id)).lapsed_at is not None
        # left: the first offer's entry and the refused duplicate's (it names no offer), each in its
        # own later minute; the lapsed one's is gone
        assert await scheduling.lapses.pending() == 2
        listed = {o["offer_id"]: o for o in (await stack.client.get(f"/threads/{tid}/offers", headers=acme)).json()}
        assert listed[second_id]["status"] == "expired" and listed[second_id]["deadline_passed"] is True
        assert listed[offer_id]["status"] == "declined"
        # The lapsed offer no longer holds the thread's open slot.
        third = await issue((datetime.now(UTC) + timedelta(days=10)).isoformat())
        assert third.status_code == 201, third.text
        accepted = await stack.client.post(f"/offers/{third.json()['offer_id']}/accept", headers=hanako)
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        again = await stack.client.post(f"/offers/{third.json()['offer_id']}/decline", headers=hanako,
                                        json={"reason": "changed my mind"})
        assert again.status_code == 409 and "already accepted" in again.json()["detail"]
    finally:
        scheduling.clock = real_clock

    types = ("OfferIssued", "OfferDeclined", "OfferIssued", "OfferLapsed", "OfferIssued", "OfferAccepted")
    envelopes = await stack.facts(*types)
    assert sorted(e.type for e in envelopes) == sorted(types)
    issued = [e.event() for e in envelopes if e.type == "OfferIssued"]
    assert {i.offer_id for i in issued} == {offer_id, second_id, third.json()["offer_id"]}
    assert issued[0].company_name == "acme Inc." and issued[0].recruiter_name == "Sato"
    declined_event = next(e.event() for e in envelopes if e.type == "OfferDeclined")
    assert (declined_event.offer_id, declined_event.reason) == (offer_id, "I chose another company")
    assert next(e.event() for e in envelopes if e.type == "OfferAccepted").offer_id == third.json()["offer_id"]
    lapsed = next(e.event() for e in envelopes if e.type == "OfferLapsed")
    assert (lapsed.offer_id, lapsed.candidate_id) == (second_id, "hanako")
    assert abs(lapsed.respond_by - datetime.fromisoformat(second.json()["respond_by"])) < timedelta(milliseconds=1)
