"""Upcoming events read from the events index: soonest first in pages, an organizer's publish and
cancel shown at once, seats left following registrations, and a rebuild from the store."""

import asyncio
import time
from datetime import timedelta

from tsunagu_events.rebuild import rebuild


async def titles(service, **params) -> list[str]:
    answer = await service.http.get("/events", params=params, headers=service.student("hana"))
    assert answer.status_code == 200, answer.text
    return [e["title"] for e in answer.json()]


async def test_upcoming_events_in_pages_shown_at_once_and_rebuilt(service):
    for days, title in ((3, "later"), (1, "soonest"), (2, "middle")):
        await service.publish(capacity=2, starts_in=timedelta(days=days), title=title)
    assert await titles(service) == ["soonest", "middle", "later"], "each publish is listed at once"

    first = await service.http.get("/events", params={"limit": 2}, headers=service.student("hana"))
    assert [e["title"] for e in first.json()] == ["soonest", "middle"]
    rest = await service.http.get("/events", params={"limit": 2, "cursor": first.headers["X-Next-Cursor"]},
                                  headers=service.student("hana"))
    assert [e["title"] for e in rest.json()] == ["later"] and "X-Next-Cursor" not in rest.headers
    forged = await service.http.get("/events", params={"cursor": "abc"}, headers=service.student("hana"))
    assert forged.status_code == 422 and forged.json()["detail"][0]["loc"] == ["query", "cursor"]

    listed = (await service.http.get("/events", headers=service.student("hana"))).json()
    middle = next(e for e in listed if e["title"] == "middle")
    cancelled = await service.http.post(f"/events/{middle['event_id']}/cancel", json={"reason": "venue closed"},
                                        headers=service.admin())
    assert cancelled.status_code == 200, cancelled.text
    assert await titles(service) == ["soonest", "later"]

    soonest = next(e for e in listed if e["title"] == "soonest")
    assert (await service.register(soonest["event_id"], "hana")).status_code == 201
    deadline = time.monotonic() + 20
    while True:  # the projector of events.events brings the seat count
        shown = (await service.http.get("/events", headers=service.student("hana"))).json()
        if shown[0]["seats_left"] == 1:
            break
        assert time.monotonic() < deadline, shown[0]
        await asyncio.sleep(0.2)

    assert await rebuild(service.settings) == 3, "the cancelled event too (it stays in the store)"
    assert await titles(service) == ["soonest", "later"]
