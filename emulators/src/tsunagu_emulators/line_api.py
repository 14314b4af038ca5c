"""A LINE Messaging API-compatible push endpoint, with X-Line-Retry-Key semantics."""

import base64
import hashlib
import hmac
import uuid

from aiohttp import web

from tsunagu_emulators.recorder import Recorder


def line_app(recorder: Recorder) -> web.Application:
    app = web.Application()
    accepted: dict[str, str] = {}  # retry key -> request id of the accepted push

    async def push(request: web.Request) -> web.Response:
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return web.json_response({"message": "Authentication failed"}, status=401)
        payload = await request.json()
        retry_key = request.headers.get("X-Line-Retry-Key")
        if retry_key and retry_key in accepted:
            recorder.saw_request("line", "duplicate_retry_key", to=payload.get("to"))
            return web.json_response({"message": "The retry key is already accepted"}, status=409,
                                     headers={"x-line-accepted-request-id": accepted[retry_key]})
        fault = recorder.take_fault("line")
        if fault is not None:
            recorder.saw_request("line", fault.mode, to=payload.get("to"))
            if fault.mode == "429":
                return web.json_response({"message": "Too Many Requests"}, status=429,
                                         headers={"Retry-After": str(fault.retry_after)})
            if fault.mode == "permanent":
                return web.json_response({"message": "The property, 'to', in the request body is invalid"}, status=400)
            return web.json_response({"message": "Internal Server Error"}, status=500)
        request_id = str(uuid.uuid4())
        if retry_key:
            accepted[retry_key] = request_id
        message_id = str(uuid.uuid4().int)[:18]
        texts = [m.get("text") for m in payload.get("messages", [])]
        recorder.record("line", to=payload.get("to"), texts=texts, retry_key=retry_key, request_id=request_id,
                        message_id=message_id)
        recorder.saw_request("line", "accepted", to=payload.get("to"))
        return web.json_response({"sentMessages": [{"id": message_id, "quoteToken": uuid.uuid4().hex}]},
                                 headers={"x-line-request-id": request_id})

    app.router.add_post("/v2/bot/message/push", push)
    return app


def sign_line(channel_secret: str, body: bytes) -> str:
    """The X-Line-Signature LINE would send for this webhook body."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
