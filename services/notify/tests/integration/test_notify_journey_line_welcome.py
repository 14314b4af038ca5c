"""The LINE welcome journey over 30 simulated days: right days, quiet hours kept, stopped by unfollow."""

import asyncio
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tsunagu_emulators.line_api import sign_line
from tsunagu_notify.testing import NotifyHarness, jst

TOKYO = ZoneInfo("Asia/Tokyo")


def welcome_pushes(notify, user_id):
    return [m for m in notify.recorder.sent("line") if m["to"] == user_id]


async def unfollow(notify, user_id):
    body = json.dumps({"events": [{"type": "unfollow", "webhookEventId": f"unfollow-{user_id}", "timestamp": 1,
                                   "source": {"type": "user", "userId": user_id}}]}).encode()
    answer = await notify.client.post("/webhooks/line", content=body, headers={
        "X-Line-Signature": sign_line(notify.settings.line_channel_secret, body)})
    assert answer.status_code == 200


async def test_thirty_days_of_welcome_in_simulated_time():
    linked_at = jst(1, 22, 30)  # late evening in Tokyo: every step falls in her quiet hours
    async with NotifyHarness(start=linked_at) as notify:
        await notify.register("cand-1", line_user_id="U-one")
        await notify.register("cand-2", line_user_id="U-two")
        mornings = []
        for n, day in enumerate((1, 3, 7, 14, 30), start=1):
            due = linked_at + timedelta(days=day)
            notify.clock.set(due + timedelta(minutes=1))
            morning = (due + timedelta(days=1)).astimezone(TOKYO).replace(hour=8, minute=0)
            await notify.until(lambda n=n: _welcome_deferrals(notify, "cand-1", n))
            assert len(welcome_pushes(notify, "U-one")) == n - 1  # nothing at night
            notify.clock.set(morning + timedelta(minutes=1))
            await notify.until(lambda n=n: len(welcome_pushes(notify, "U-one")) == n)
            mornings.append(morning)
            if day == 3:
                await notify.until(lambda: len(welcome_pushes(notify, "U-two")) == 2)
                await unfollow(notify, "U-two")
        notify.clock.set(linked_at + timedelta(days=40))
        await asyncio.sleep(1.0)  # settle: nothing more may arrive
        decisions = await notify.decisions("cand-1")
        steps_one = (await notify.client.get("/recipients/cand-1/journeys", headers=notify.headers())).json()
        steps_two = (await notify.client.get("/recipients/cand-2/journeys", headers=notify.headers())).json()
        one, two = welcome_pushes(notify, "U-one"), welcome_pushes(notify, "U-two")
    # Her steps fall on days 1, 3, 7, 14, 30 after linking (a few seconds after 22:30 Tokyo time)...
    linked = datetime.fromisoformat(steps_one[0]["due_at"]) - timedelta(days=1)
    assert linked_at <= linked < linked_at + timedelta(minutes=1)
    assert [(datetime.fromisoformat(s["due_at"]) - linked, s["status"]) for s in steps_one] == [
        (timedelta(days=d), "fired") for d in (1, 3, 7, 14, 30)]
    start = linked_at.astimezone(TOKYO).date()
    assert [(m.date() - start).days for m in mornings] == [2, 4, 8, 15, 31]
    assert len(one) == 5 and len(two) == 2
    welcome = [d for d in decisions if d["template"].startswith("welcome_day")]
    assert sorted((d["action"], d["reason"]) for d in welcome) == ([("defer", "quiet_hours")] * 5
                                                                   + [("send", "allowed")] * 5)
    # ...each deferred at once by her quiet hours to 08:00 the next morning, and sent then.
    for step, morning in zip(steps_one, mornings, strict=True):
        due = datetime.fromisoformat(step["due_at"])
        defer, send = sorted((d for d in welcome if d["template"] == f"welcome_{step['step']}"),
                             key=lambda d: d["action"])
        assert due <= datetime.fromisoformat(defer["decided_at"]) < due + timedelta(minutes=5)
        assert datetime.fromisoformat(defer["until"]) == morning
        assert morning <= datetime.fromisoformat(send["decided_at"]) < morning + timedelta(minutes=5)
    assert [s["status"] for s in steps_two] == ["fired", "fired", "stopped", "stopped", "stopped"]
    assert {s["stopped_by"] for s in steps_two if s["status"] == "stopped"} == {"goal:LineUnfollowed"}


async def _welcome_deferrals(notify, candidate, n):
    decisions = await notify.decisions(candidate)
    return len([d for d in decisions if d["template"].startswith("welcome_day") and d["action"] == "defer"]) >= n
