"""A LINE Messaging API-compatible push endpoint, with X-Line-Retry-Key semantics."""

import base64
import hashlib
import hmac
import uuid

from aiohttp import web

from tsunagu_emulators.recorder import Fault, Recorder


def line_app(recorder: Recorder) -> web.Application:
    api = _LineApi(recorder)
    app = web.Application()
    app.router.add_post("/v2/bot/message/push", api.push)
    app.router.add_post("/v2/bot/user/{user_id}/linkToken", api.issue_link_token)
    app.router.add_post("/v2/bot/richmenu", api.create_rich_menu)
    app.router.add_post("/v2/bot/user/{user_id}/richmenu/{rich_menu_id}", api.link_rich_menu)
    app.router.add_delete("/v2/bot/user/{user_id}/richmenu", api.unlink_rich_menu)
    return app


def _authorized(request: web.Request) -> bool:
    return request.headers.get("Authorization", "").startswith("Bearer ")


def _unauthorized() -> web.Response:
    return web.json_response({"message": "Authentication failed"}, status=401)


def _fault_answer(fault: Fault) -> web.Response:
    """What LINE answers for the fault a test asked for."""
    if fault.mode == "429":
        return web.json_response({"message": "Too Many Requests"}, status=429,
                                 headers={"Retry-After": str(fault.retry_after)})
    if fault.mode == "permanent":
        return web.json_response({"message": "The property, 'to', in the request body is invalid"}, status=400)
    return web.json_response({"message": "Internal Server Error"}, status=500)


class _LineApi:
    """The endpoints over one recorder; pushes remember the retry keys they accepted."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.accepted: dict[str, str] = {}  # retry key -> request id of the accepted push

    async def push(self, request: web.Request) -> web.Response:
        if not _authorized(request):
            return _unauthorized()
        payload = await request.json()
        retry_key = request.headers.get("X-Line-Retry-Key")
        if retry_key and retry_key in self.accepted:
            self.recorder.saw_request("line", "duplicate_retry_key", to=payload.get("to"))
            return web.json_response({"message": "The retry key is already accepted"}, status=409,
                                     headers={"x-line-accepted-request-id": self.accepted[retry_key]})
        fault = self.recorder.take_fault("line")
        if fault is not None:
            self.recorder.saw_request("line", fault.mode, to=payload.get("to"))
            return _fault_answer(fault)
        request_id = str(uuid.uuid4())
        if retry_key:
            self.accepted[retry_key] = request_id
        message_id = str(uuid.uuid4().int)[:18]
        texts = [m.get("text") for m in payload.get("messages", [])]
        self.recorder.record("line", to=payload.get("to"), texts=texts, retry_key=retry_key,
                             request_id=request_id, message_id=message_id)
        self.recorder.saw_request("line", "accepted", to=payload.get("to"))
        return web.json_response({"sentMessages": [{"id": message_id, "quoteToken": uuid.uuid4().hex}]},
                                 headers={"x-line-request-id": request_id})

    async def issue_link_token(self, request: web.Request) -> web.Response:
        """POST /v2/bot/user/{userId}/linkToken: a one-time token, valid for 10 minutes."""
        if not _authorized(request):
            return _unauthorized()
        user_id = request.match_info["user_id"]
        token = uuid.uuid4().hex
        self.recorder.line_link_tokens[token] = user_id
        self.recorder.record_call("line", "issue_link_token", user_id=user_id, link_token=token)
        return web.json_response({"linkToken": token})

    async def create_rich_menu(self, request: web.Request) -> web.Response:
        if not _authorized(request):
            return _unauthorized()
        menu = await request.json()
        rich_menu_id = f"richmenu-{uuid.uuid4().hex}"
        self.recorder.line_rich_menus[rich_menu_id] = menu
        self.recorder.record_call("line", "create_rich_menu", rich_menu_id=rich_menu_id, name=menu.get("name"))
        return web.json_response({"richMenuId": rich_menu_id})

    async def link_rich_menu(self, request: web.Request) -> web.Response:
        if not _authorized(request):
            return _unauthorized()
        user_id, rich_menu_id = request.match_info["user_id"], request.match_info["rich_menu_id"]
        if rich_menu_id not in self.recorder.line_rich_menus:
            return web.json_response({"message": "richmenu not found"}, status=404)
        self.recorder.line_user_menus[user_id] = rich_menu_id
        self.recorder.record_call("line", "link_rich_menu", user_id=user_id, rich_menu_id=rich_menu_id,
                                  name=self.recorder.line_rich_menus[rich_menu_id].get("name"))
        return web.json_response({})

    async def unlink_rich_menu(self, request: web.Request) -> web.Response:
        if not _authorized(request):
            return _unauthorized()
        user_id = request.match_info["user_id"]
        self.recorder.line_user_menus.pop(user_id, None)
        self.recorder.record_call("line", "unlink_rich_menu", user_id=user_id)
        return web.json_response({})


def sign_line(channel_secret: str, body: bytes) -> str:
    """The X-Line-Signature LINE would send for this webhook body."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
