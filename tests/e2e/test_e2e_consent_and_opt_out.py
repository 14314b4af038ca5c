"""Consent that agrees with itself, on real processes: STOP and START (再開) by SMS through the Twilio
emulator, the unsubscribe link of an email clicked (GET page, then POST), and a LINE unfollow and
follow change her one consent record in profile, and notify enforces the same; re-consenting after an
opt-out takes her, never an admin."""

import asyncio
import json

import httpx
import pytest
from tsunagu_notify.adapters.unsubscribe import UnsubscribeTokens
from tsunagu_notify.config import NotifySettings
from tsunagu_tools.demo.cast import link_line, new_cast, register_student
from tsunagu_tools.stack import Api, StackUrls, Tokens, eventually

pytestmark = pytest.mark.slow


@pytest.fixture
async def api(e2e_stack):
    async with httpx.AsyncClient() as client:
        yield Api(StackUrls.from_env(e2e_stack.env), client)


async def both_views(api: Api, tokens: Tokens, person_id: str, channel: str, *, consented: bool, source: str,
                     what: str) -> tuple[dict, dict]:
    """Wait until profile's consent record and notify's enforcement agree on `channel`."""
    her = tokens.candidate(person_id)

    async def agreed():
        record = (await api.json("GET", "profile", "/profiles/me/contact-preferences", token=her))["channels"]
        enforced = {c["channel"]: c for c in await api.json("GET", "notify", f"/recipients/{person_id}/channels",
                                                             token=her)}
        consent = record.get(channel) or {}
        if (consent.get("consented") == consented and consent.get("source") == source
                and enforced[channel]["reachable"] == consented):
            return consent, enforced[channel]
        return None

    return await eventually(agreed, what=what, timeout=45)


async def registered(api: Api, tokens: Tokens, person, channel: str) -> None:
    """She signs up with consent to `channel` (LINE: and links her account) and notify knows her."""
    await register_student(api, tokens, person)
    if channel == "line":
        await link_line(api, tokens, person)
    await both_views(api, tokens, person.candidate_id, channel, consented=True, source="demo signup",
                     what=f"notify to know {person.name}")


async def inbound_sms(api: Api, phone: str, body: str) -> str:
    """An SMS she sends, through the Twilio emulator's signed inbound webhook: notify's answer."""
    answer = await api.emulator("POST", "/simulate/inbound-sms", json={
        "url": f"{api.urls.service('notify')}/webhooks/twilio/inbound", "from": phone, "to": "+815000000000",
        "body": body})
    assert answer["status"] == 200, answer
    return json.loads(answer["body"])["status"]


async def test_stop_and_start_by_sms_change_the_one_consent_record(api):
    tokens, ken = Tokens(), new_cast().person("ken")
    await registered(api, tokens, ken, "sms")

    # Every simulated SMS is a message of its own: the STOP after a first SMS is not a "duplicate".
    assert await inbound_sms(api, ken.phone, "こんにちは") == "ignored"
    assert await inbound_sms(api, ken.phone, "STOP") == "opted_out"
    _record, enforced = await both_views(api, tokens, ken.candidate_id, "sms", consented=False, source="sms_stop",
                                         what="STOP in profile and notify")
    assert enforced["opt_out_source"] == "sms_stop"

    # Nobody but she consents again: an admin (or a service) is refused, naming the channel.
    refused = await api.call("PATCH", "profile", f"/profiles/{ken.candidate_id}/contact-preferences",
                             token=tokens.service(), expect=(422,), json={"channels": {"sms": {"consented": True}}})
    assert "only she can consent" in str(refused.json()["detail"])

    # START in Japanese (再開) by SMS is her explicit consent again.
    assert await inbound_sms(api, ken.phone, "再開") == "opted_in"
    _record, enforced = await both_views(api, tokens, ken.candidate_id, "sms", consented=True, source="sms_start",
                                         what="再開 in profile and notify")
    assert enforced["opted_out_at"] is None and enforced["consent_source"] == "sms_start"

    # Stopped again (停止), then she re-subscribes herself on her profile.
    assert await inbound_sms(api, ken.phone, "停止") == "opted_out"
    await both_views(api, tokens, ken.candidate_id, "sms", consented=False, source="sms_stop",
                     what="停止 in profile and notify")
    await api.call("PATCH", "profile", "/profiles/me/contact-preferences", token=tokens.candidate(ken.candidate_id),
                   json={"channels": {"sms": {"consented": True}}})
    _record, enforced = await both_views(api, tokens, ken.candidate_id, "sms", consented=True, source="student",
                                         what="her own re-consent in notify")
    assert enforced["opted_out_at"] is None


async def test_the_unsubscribe_link_shows_a_page_then_opts_her_out_once(api):
    tokens, aoi = Tokens(), new_cast().person("aoi")
    link = "/unsubscribe/" + UnsubscribeTokens(NotifySettings().unsubscribe_secret).issue(aoi.candidate_id, "email")
    async with httpx.AsyncClient(base_url=api.urls.service("notify")) as web:
        await registered(api, tokens, aoi, "email")

        # Clicked in her mail client: a page in her language, with one button; opening it changes nothing.
        for _ in range(2):
            page = await web.get(link)
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            assert '<html lang="ja">' in page.text and "配信を停止する" in page.text and 'method="post"' in page.text
        await asyncio.sleep(1.0)  # (an opt-out would show within a commit interval and a projector batch)
        enforced = {c["channel"]: c for c in await api.json(
            "GET", "notify", f"/recipients/{aoi.candidate_id}/channels", token=tokens.candidate(aoi.candidate_id))}
        assert enforced["email"]["reachable"], "a GET must not unsubscribe (mail scanners open links)"

        # The page's button (a browser), then the mail client's RFC 8058 one-click: both answer, once in effect.
        button = await web.post(link, data={"List-Unsubscribe": "One-Click"}, headers={"Accept": "text/html"})
        assert button.status_code == 200 and "メールによる連絡を停止しました" in button.text
        one_click = await web.post(link, data={"List-Unsubscribe": "One-Click"})
        assert one_click.status_code == 200 and one_click.json() == {"status": "unsubscribed", "channel": "email"}
        _record, enforced = await both_views(api, tokens, aoi.candidate_id, "email", consented=False,
                                             source="unsubscribe_link", what="the unsubscribe in profile and notify")
        assert enforced["opt_out_source"] == "unsubscribe_link"
        again = await web.post(link, data={"List-Unsubscribe": "One-Click"})
        assert again.status_code == 200 and again.json()["status"] == "unsubscribed"

        # In English for a student who reads English; a forged link is refused.
        await api.call("PATCH", "profile", "/profiles/me/contact-preferences", token=tokens.candidate(aoi.candidate_id),
                       json={"locale": "en"})

        async def english():
            shown = await web.get(link)
            return shown if '<html lang="en">' in shown.text else None
        shown = await eventually(english, what="her English page")
        assert "You are unsubscribed from email" in shown.text and "consent once more yourself" in shown.text
        assert (await web.get(link[:-4] + "beef")).status_code == 403
        assert (await web.post(link[:-4] + "beef")).status_code == 403


async def test_a_line_unfollow_and_follow_change_her_line_consent_in_profile(api):
    tokens, hana = Tokens(), new_cast().person("hana")
    await registered(api, tokens, hana, "line")
    for kind, consented, source in (("unfollow", False, "line_unfollow"), ("follow", True, "line_follow")):
        await api.emulator("POST", "/simulate/line-webhook", json={
            "url": f"{api.urls.service('notify')}/webhooks/line",
            "events": [{"type": kind, "webhookEventId": f"{kind}-{hana.candidate_id}", "timestamp": 0,
                        "source": {"type": "user", "userId": hana.line_user_id}}]})
        await both_views(api, tokens, hana.candidate_id, "line", consented=consented, source=source,
                         what=f"LINE {kind} in profile and notify")
