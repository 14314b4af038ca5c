"""The demo story, played against a running stack through its public HTTP APIs."""

import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import IO

import httpx

from tsunagu_tools.demo.cast import Cast, new_cast, register_student, seed_companies, wait_until_recruiter_may_search
from tsunagu_tools.demo.chapters import (
    TOKYO,
    NotifyClock,
    at,
    campaign,
    register,
    scout_a,
    scout_b_at_night,
    stop_story,
)
from tsunagu_tools.demo.offer import reply_to_offer
from tsunagu_tools.demo.summary import Summary
from tsunagu_tools.demo.tap import EventTap
from tsunagu_tools.demo.timeline import PROVIDER_CHANNEL, Timeline
from tsunagu_tools.stack import Api, StackUrls, Tokens

COUNTED = {"ScoutSent": "scouts_sent", "ReplyReceived": "replies", "InterviewScheduled": "interviews",
           "OfferIssued": "offers", "OfferAccepted": "offers_accepted"}


async def play_story(urls: StackUrls, tokens: Tokens, out: IO[str] = sys.stdout, *,
                     cast: Cast | None = None) -> Summary:
    """Play the whole story once and return what it showed; prints the timeline to `out`."""
    cast = cast or new_cast()
    summary = Summary()
    tap = EventTap(urls.kafka_bootstrap, urls.topic_prefix)
    await tap.start()
    try:
        async with httpx.AsyncClient() as client:
            api = Api(urls, client)
            timeline = Timeline(api, tokens, out, cast, tap)
            await _play(api, tokens, timeline, cast, summary)
    finally:
        await tap.stop()
    _count(summary, timeline, tap)
    summary.render(out)
    return summary


async def _play(api: Api, tokens: Tokens, tl: Timeline, cast: Cast, summary: Summary) -> None:
    tl.say("Tsunagu demo — the story on the running stack")
    tl.say("Everyone acts through the public HTTP APIs with tokens from the development identity provider")
    tl.say("(JWTs signed with this stack's secret); notify's clock is moved through PUT /admin/clock.")
    clock = NotifyClock(api, tokens, tl)
    # Tomorrow 10:00 by the wall clock, even after an earlier run moved notify's clock further:
    # the other services stamp their events with wall time, and sequences count days from those.
    day0 = at(datetime.now(UTC) + timedelta(days=1), 10)
    tl.chapter("0. Three companies join Tsunagu")
    await seed_companies(api, tokens, cast)
    for company in cast.companies.values():
        await wait_until_recruiter_may_search(api, tokens, company)
        tl.step(f"{company.name} joins; recruiter {company.recruiter_name}")
    await tl.show_events()
    await clock.set(day0)
    a, b, c = cast.company("A"), cast.company("B"), cast.company("C")
    hana, ken = cast.person("hana"), cast.person("ken")
    await register(api, tokens, tl, hana)
    await register_student(api, tokens, cast.person("aoi"))
    tl.step(f"{cast.person('aoi').name} registers too (email only)")
    await scout_a(api, tokens, tl, a, hana, summary)
    await scout_b_at_night(api, tokens, tl, clock, day0, b, hana, summary)
    await stop_story(api, tokens, tl, a, [b, c], ken, summary)
    deadline = at(day0 + timedelta(days=3), 18)
    await campaign(api, tokens, tl, clock, c, deadline, summary)
    await reply_to_offer(api, tokens, tl, clock, a, hana, summary)
    summary.notify_clock_left_at = f"{(await clock.now()).astimezone(TOKYO):%Y-%m-%d %H:%M}"


def _count(summary: Summary, timeline: Timeline, tap: EventTap) -> None:
    ids = timeline.ids()
    for event_type, name in COUNTED.items():
        setattr(summary, name, len(tap.of_types(event_type, mentioning=ids)))
    channels = Counter(PROVIDER_CHANNEL[m["provider"]] for _, m in timeline.messages)
    summary.delivered = dict(sorted(channels.items()))
    summary.count_held_back(timeline.all_decisions())


__all__ = ["TOKYO", "Summary", "play_story"]
