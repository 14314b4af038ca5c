"""LINE account linking (link token, nonce, signed accountLink webhook) and rich menus per member status."""

import json
from datetime import UTC, datetime, timedelta

from tsunagu_emulators.line_api import sign_line
from tsunagu_notify.testing import NotifyHarness, jst
from tsunagu_shared.events import InterviewScheduled, OfferAccepted, OfferDeclined, OfferIssued, ScoutSent


async def account_link(notify, user_id: str, nonce: str, event_id: str, result: str = "ok"):
    body = json.dumps({"events": [{"type": "accountLink", "webhookEventId": event_id, "timestamp": 1,
                                   "source": {"type": "user", "userId": user_id},
                                   "link": {"result": result, "nonce": nonce}}]}).encode()
    answer = await notify.client.post("/webhooks/line", content=body, headers={
        "X-Line-Signature": sign_line(notify.settings.line_channel_secret, body)})
    assert answer.status_code == 200, answer.text


async def line_address(notify, candidate):
    return (await notify.app.state.container.store.load(candidate)).state.channel("line").address


async def test_linking_needs_her_unused_unexpired_nonce_and_unlinking_works():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.register("cand-1", line_user_id=None)
        await notify.register("cand-2", line_user_id=None)
        token = (await notify.client.post("/line/link-tokens", json={"line_user_id": "U-hanako"},
                                          headers=notify.headers())).json()["link_token"]
        assert notify.recorder.calls_of("issue_link_token")[0]["user_id"] == "U-hanako"
        herself = notify.headers(role="candidate", subject="cand-1")
        refused = await notify.client.post("/recipients/cand-1/line/nonce", json={"link_token": "forged"},
                                           headers=herself)
        other = await notify.client.post("/recipients/cand-1/line/nonce", json={"link_token": token},
                                         headers=notify.headers(role="candidate", subject="cand-2"))
        issued = await notify.client.post("/recipients/cand-1/line/nonce", json={"link_token": token}, headers=herself)
        assert (refused.status_code, other.status_code, issued.status_code) == (400, 404, 201)
        nonce = issued.json()["nonce"]
        assert f"linkToken={token}&nonce={nonce}" in issued.json()["redirect_url"]

        await account_link(notify, "U-hanako", "wrong-nonce", "e1")
        await account_link(notify, "U-other", nonce, "e2")  # her nonce, someone else's LINE account
        assert await line_address(notify, "cand-1") is None
        await account_link(notify, "U-hanako", nonce, "e3")
        await notify.state_when("cand-1", lambda s: s.channel("line").address == "U-hanako")

        reused = await notify.client.post("/recipients/cand-2/line/nonce", json={"link_token": token},
                                          headers=notify.headers(role="candidate", subject="cand-2"))
        await account_link(notify, "U-hanako", nonce, "e4")  # the used nonce again
        assert await line_address(notify, "cand-2") is None

        later = await notify.client.post("/recipients/cand-2/line/nonce", json={"link_token": token},
                                         headers=notify.headers(role="candidate", subject="cand-2"))
        notify.clock.set(notify.clock.now() + timedelta(minutes=11))
        await account_link(notify, "U-hanako", later.json()["nonce"], "e5")  # expired
        assert await line_address(notify, "cand-2") is None
        assert reused.status_code == 201

        unlinked = await notify.client.delete("/recipients/cand-1/line", headers=herself)
        assert unlinked.status_code == 204
        await notify.state_when("cand-1", lambda s: s.channel("line").address is None)
        journeys = (await notify.client.get("/recipients/cand-1/journeys", headers=herself)).json()
    assert journeys and {s["status"] for s in journeys} == {"stopped"}
    assert notify.recorder.calls_of("unlink_rich_menu")[-1]["user_id"] == "U-hanako"


async def test_rich_menu_follows_status_events():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.register("cand-1")
        now = datetime.now(UTC)
        menus = lambda: [c["name"] for c in notify.recorder.calls_of("link_rich_menu")]  # noqa: E731
        await notify.until(lambda: menus() == ["tsunagu-registered"])
        await notify.publish(ScoutSent(scout_id="s-1", company_id="co-a", company_name="Acme", recruiter_id="r-1",
                                       recruiter_name="Sato", candidate_id="cand-1", reason="robotics", sent_at=now))
        await notify.until(lambda: menus()[-1:] == ["tsunagu-scouted"])
        await notify.publish(InterviewScheduled(interview_id="i-1", thread_id="t-1", company_id="co-a",
                                                candidate_id="cand-1", starts_at=now + timedelta(days=3),
                                                candidate_time_zone="Asia/Tokyo", scheduled_at=now))
        await notify.until(lambda: menus()[-1:] == ["tsunagu-interviewing"])
        await notify.publish(OfferIssued(offer_id="of-1", thread_id="t-1", company_id="co-a", candidate_id="cand-1",
                                         respond_by=now + timedelta(days=10), issued_at=now))
        await notify.until(lambda: menus()[-1:] == ["tsunagu-offer_holder"])
        await notify.publish(OfferDeclined(offer_id="of-1", thread_id="t-1", company_id="co-a",
                                           candidate_id="cand-1", declined_at=now))
        await notify.until(lambda: menus()[-1:] == ["tsunagu-interviewing"])
        await notify.publish(OfferIssued(offer_id="of-2", thread_id="t-2", company_id="co-b", candidate_id="cand-1",
                                         respond_by=now + timedelta(days=10), issued_at=now))
        await notify.publish(OfferAccepted(offer_id="of-2", thread_id="t-2", company_id="co-b",
                                           candidate_id="cand-1", accepted_at=now))
        await notify.until(lambda: menus()[-1:] == ["tsunagu-offer_holder"])
        status = (await notify.client.get("/recipients/cand-1/member-status", headers=notify.headers())).json()
    assert status == {"status": "offer_holder", "menu_status": "offer_holder"}
    assert notify.recorder.line_user_menus["U-hanako"] in notify.recorder.line_rich_menus
    assert len(notify.recorder.calls_of("create_rich_menu")) == 4  # one per status, reused
