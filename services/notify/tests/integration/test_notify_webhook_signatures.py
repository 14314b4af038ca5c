"""Provider webhooks: correct signatures act, forged ones get 403 and change nothing."""

import hashlib
import hmac
import json

from tsunagu_emulators.line_api import sign_line
from tsunagu_emulators.twilio_api import sign_twilio
from tsunagu_notify.testing import NotifyHarness, jst
from tsunagu_shared.testing import bearer


async def channel_state(notify, candidate):
    return (await notify.app.state.container.store.load(candidate)).state


async def test_forged_signatures_get_403_and_change_nothing():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.register("cand-1")
        stop = {"MessageSid": "SM1", "From": "+818012345678", "Body": "STOP"}
        forged_sms = await notify.client.post("/webhooks/twilio/inbound", data=stop,
                                              headers={"X-Twilio-Signature": sign_twilio("wrong", "x", stop)})
        unfollow = json.dumps({"events": [{"type": "unfollow", "webhookEventId": "e1",
                                           "source": {"type": "user", "userId": "U-hanako"}}]}).encode()
        forged_line = await notify.client.post("/webhooks/line", content=unfollow,
                                               headers={"X-Line-Signature": sign_line("wrong", unfollow)})
        bounce = json.dumps({"id": "b1", "email": "hanako@example.jp", "type": "hard"}).encode()
        forged_bounce = await notify.client.post("/webhooks/email/bounce", content=bounce,
                                                 headers={"X-Tsunagu-Signature": "00" * 32})
        forged_unsubscribe = await notify.client.post("/unsubscribe/Y2FuZC0xfGVtYWls.deadbeef")
        unsigned = await notify.client.post("/webhooks/line", content=unfollow)
        state = await channel_state(notify, "cand-1")
    assert [r.status_code for r in (forged_sms, forged_line, forged_bounce, forged_unsubscribe, unsigned)] == [403] * 5
    assert all(state.channel(c).usable for c in ("line", "email", "sms"))


async def test_signed_unfollow_bounce_and_unsubscribe_turn_channels_off_once():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        await notify.register("cand-1")
        unfollow = json.dumps({"events": [{"type": "unfollow", "webhookEventId": "e1",
                                           "source": {"type": "user", "userId": "U-hanako"}}]}).encode()
        secret = notify.settings.line_channel_secret
        line = await notify.client.post("/webhooks/line", content=unfollow,
                                        headers={"X-Line-Signature": sign_line(secret, unfollow)})
        bounce = json.dumps({"id": "b1", "email": "hanako@example.jp", "type": "hard"}).encode()
        signature = hmac.new(notify.settings.email_webhook_secret.encode(), bounce, hashlib.sha256).hexdigest()
        email = await notify.client.post("/webhooks/email/bounce", content=bounce,
                                         headers={"X-Tsunagu-Signature": signature})
        token = notify.app.state.container.tokens.issue("cand-1", "sms")
        sms = await notify.client.post(f"/unsubscribe/{token}")
        state = await notify.state_when("cand-1",
                                        lambda s: all(s.channel(c).opted_out_at for c in ("line", "email", "sms")))
        follow = json.dumps({"events": [{"type": "follow", "webhookEventId": "e2",
                                         "source": {"type": "user", "userId": "U-hanako"}}]}).encode()
        again = await notify.client.post("/webhooks/line", content=follow,
                                         headers={"X-Line-Signature": sign_line(secret, follow)})
        refollowed = await notify.state_when("cand-1", lambda s: s.channel("line").usable)
    assert [r.status_code for r in (line, email, sms, again)] == [200] * 4
    assert state.channel("line").opt_out_source == "line_unfollow"
    assert state.channel("email").opt_out_source == "email_bounce"
    assert state.channel("sms").opt_out_source == "unsubscribe_link"
    assert refollowed.channel("line").usable


async def test_decisions_are_only_for_herself_and_admins():
    async with NotifyHarness(start=jst(2, 12)) as notify:
        own = await notify.client.get("/recipients/cand-1/decisions",
                                      headers=notify.headers(role="candidate", subject="cand-1"))
        other = await notify.client.get("/recipients/cand-1/decisions",
                                        headers=notify.headers(role="candidate", subject="cand-2"))
        recruiter = await notify.client.get("/recipients/cand-1/decisions",
                                            headers=bearer(notify.settings, role="recruiter", subject="r-1",
                                                           company_id="co-a"))
        forged = await notify.client.get("/recipients/cand-1/decisions", headers={"Authorization": "Bearer forged"})
    assert (own.status_code, other.status_code, recruiter.status_code, forged.status_code) == (200, 404, 404, 401)
