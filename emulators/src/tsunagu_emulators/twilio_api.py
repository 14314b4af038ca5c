"""A Twilio-compatible Messages API (the part the twilio SDK's messages.create uses)."""

import asyncio
import uuid
from datetime import UTC, datetime

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from tsunagu_emulators.recorder import Recorder


def twilio_app(recorder: Recorder, *, auth_token: str) -> web.Application:
    app = web.Application()
    validator = RequestValidator(auth_token)
    tasks: set[asyncio.Task] = set()

    async def create_message(request: web.Request) -> web.Response:
        if not request.headers.get("Authorization", "").startswith("Basic "):
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        form = dict(await request.post())
        fault = recorder.take_fault("twilio")
        if fault is not None:
            recorder.saw_request("twilio", fault.mode, to=form.get("To"))
            return _fault_response(fault)
        sid = "SM" + uuid.uuid4().hex
        account = request.match_info["account"]
        recorder.record("twilio", sid=sid, to=form.get("To"), from_=form.get("From"), body=form.get("Body"),
                        status_callback=form.get("StatusCallback"))
        recorder.saw_request("twilio", "accepted", to=form.get("To"))
        callback = form.get("StatusCallback")
        if callback and recorder.twilio_callback_status:
            task = asyncio.create_task(_post_status(validator, callback, sid, account, form,
                                                    recorder.twilio_callback_status))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        return web.json_response({
            "sid": sid, "account_sid": account, "to": form.get("To"), "from": form.get("From"),
            "body": form.get("Body"), "status": "queued", "num_segments": "1", "direction": "outbound-api",
            "date_created": now, "date_updated": now, "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
        }, status=201)

    app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", create_message)
    return app


def _fault_response(fault) -> web.Response:
    if fault.mode == "429":
        return web.json_response({"code": 20429, "message": "Too Many Requests", "status": 429}, status=429,
                                 headers={"Retry-After": str(fault.retry_after)})
    if fault.mode == "permanent":
        return web.json_response({"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}, status=400)
    return web.json_response({"code": 20500, "message": "Internal Server Error", "status": 500}, status=500)


async def _post_status(validator: RequestValidator, url: str, sid: str, account: str, form: dict, status: str) -> None:
    """Post a status callback the way Twilio does: form-encoded, signed with the auth token."""
    await asyncio.sleep(0.05)
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": account,
              "To": form.get("To", ""), "From": form.get("From", "")}
    signature = validator.compute_signature(url, params)
    try:
        async with aiohttp.ClientSession() as session:
            await session.post(url, data=params, headers={"X-Twilio-Signature": signature},
                               timeout=aiohttp.ClientTimeout(total=5))
    except aiohttp.ClientError:
        pass  # the receiver is down: Twilio would give up too


def sign_twilio(auth_token: str, url: str, params: dict[str, str]) -> str:
    """The X-Twilio-Signature Twilio would send for this webhook."""
    return RequestValidator(auth_token).compute_signature(url, params)
