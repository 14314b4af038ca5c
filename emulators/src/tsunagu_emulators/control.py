"""The control API: what was sent, inject faults, reset, and simulate inbound webhooks."""

import json
import uuid
from dataclasses import asdict

import aiohttp
from aiohttp import web

from tsunagu_emulators.line_api import sign_line
from tsunagu_emulators.recorder import Fault, Recorder
from tsunagu_emulators.twilio_api import sign_twilio


def control_app(recorder: Recorder, *, twilio_auth_token: str, line_channel_secret: str) -> web.Application:
    app = web.Application()

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def messages(request: web.Request) -> web.Response:
        """Every recorded send, across providers (?provider=line|twilio|email)."""
        return web.json_response(recorder.sent(request.query.get("provider")),
                                 dumps=lambda o: json.dumps(o, default=str))

    async def calls(request: web.Request) -> web.Response:
        """Recorded non-message API calls (?method=link_rich_menu|issue_link_token|...) and LINE menus per user."""
        method = request.query.get("method")
        listed = recorder.calls_of(method) if method else list(recorder.calls)
        return web.json_response({"calls": listed, "line_user_menus": dict(recorder.line_user_menus)})

    async def faults(request: web.Request) -> web.Response:
        body = await request.json()
        try:
            fault = Fault(provider=body["provider"], mode=str(body["mode"]), count=int(body.get("count", 1)),
                          retry_after=int(body.get("retry_after", 1)))
        except (KeyError, ValueError) as exc:
            return web.json_response({"detail": f"bad fault: {exc}"}, status=400)
        if fault.provider not in ("twilio", "line", "email") or fault.mode not in ("429", "error", "permanent"):
            return web.json_response({"detail": "provider must be twilio|line|email, mode 429|error|permanent"},
                                     status=400)
        recorder.add_fault(fault)
        return web.json_response(asdict(fault), status=201)

    async def callbacks(request: web.Request) -> web.Response:
        """{"twilio_status": "delivered" | "undelivered" | null}: what status callbacks to send."""
        body = await request.json()
        recorder.twilio_callback_status = body.get("twilio_status")
        return web.json_response({"twilio_status": recorder.twilio_callback_status})

    async def reset(_: web.Request) -> web.Response:
        recorder.reset()
        return web.json_response({"status": "reset"})

    async def inbound_sms(request: web.Request) -> web.Response:
        """Simulate a reply SMS: {"url", "from", "to", "body"} posted to url, signed like Twilio. Each one
        gets a message id of its own, as Twilio gives it (a receiver deduplicates by it); "sid" sets it,
        to replay one message on purpose."""
        body = await request.json()
        sid = body.get("sid") or "SM" + uuid.uuid4().hex
        params = {"MessageSid": sid, "From": body["from"], "To": body.get("to", ""),
                  "Body": body["body"], "AccountSid": body.get("account_sid", "ACemulator")}
        headers = {"X-Twilio-Signature": sign_twilio(twilio_auth_token, body["url"], params)}
        return await _forward(body["url"], data=params, headers=headers)

    async def line_webhook(request: web.Request) -> web.Response:
        """Simulate LINE webhook events: {"url", "events": [...]} posted to url, signed like LINE."""
        body = await request.json()
        raw = json.dumps({"destination": "Uemulator", "events": body["events"]}).encode()
        headers = {"X-Line-Signature": sign_line(line_channel_secret, raw), "Content-Type": "application/json"}
        return await _forward(body["url"], data=raw, headers=headers)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/messages", messages)
    app.router.add_get("/calls", calls)
    app.router.add_post("/faults", faults)
    app.router.add_post("/callbacks", callbacks)
    app.router.add_post("/reset", reset)
    app.router.add_post("/simulate/inbound-sms", inbound_sms)
    app.router.add_post("/simulate/line-webhook", line_webhook)
    return app


async def _forward(url: str, *, data, headers) -> web.Response:
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession() as session, session.post(url, data=data, headers=headers,
                                                                 timeout=timeout) as answer:
        return web.json_response({"status": answer.status, "body": await answer.text()})
