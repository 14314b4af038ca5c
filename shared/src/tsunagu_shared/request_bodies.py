"""What a request body may be, checked once for every service before a route sees it.

- Size: every route takes at most `max_body_bytes` (64 KiB by default, `TSUNAGU_MAX_BODY_BYTES`);
  a route that takes a file names the setting that bounds the file with `body_limit(...)`, which also
  puts it in the OpenAPI document (`x-max-body-setting`), and takes that many bytes more than the
  default (room for the multipart framing and the other fields). Larger bodies are answered 413
  before the route runs.
- JSON: only what RFC 8259 allows. Python's parser also takes `NaN`, `Infinity` and lone UTF-16
  surrogates (`"\\ud800"`), which no database driver or other service can store or send on; they are
  answered 422 naming where they are, as is a document nested deeper than `MAX_JSON_DEPTH`.
- Validation errors (422) quote at most a short excerpt of what was sent, never the whole input.
"""

import json
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tsunagu_shared.settings import ServiceSettings

BODY_LIMIT_KEY = "x-max-body-setting"
MAX_JSON_DEPTH = 32
EXCERPT_CHARS = 120


def body_limit(setting: str) -> dict[str, Any]:
    """`openapi_extra` of a route that takes a file, bounded by the named setting of its service
    (e.g. `photo_max_bytes`), rather than by the default."""
    return {BODY_LIMIT_KEY: setting}


class InvalidJson(ValueError):
    def __init__(self, loc: list[str | int], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _refuse_constant(name: str) -> Any:
    return _Constant(name)


class _Constant:
    """Stands for NaN or Infinity while parsing, so the walk can say where it was."""

    def __init__(self, name: str) -> None:
        self.name = name


def check_json(raw: bytes) -> Any:
    """The document, or InvalidJson naming the place of the first thing JSON does not allow."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidJson([], f"the body is not UTF-8 (byte {exc.start})") from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise InvalidJson([], f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise InvalidJson([], f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    _walk(document, [])
    return document


def _walk(value: Any, loc: list[str | int]) -> None:
    if len(loc) > MAX_JSON_DEPTH:
        raise InvalidJson(loc[:MAX_JSON_DEPTH], f"nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, _Constant):
        raise InvalidJson(loc, f"{value.name} is not a JSON number")
    if isinstance(value, float) and not math.isfinite(value):  # 1e999 parses as inf
        raise InvalidJson(loc, "a number too large to be represented")
    if isinstance(value, str):
        _check_text(value, loc)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, loc, key=True)
            _walk(item, [*loc, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, [*loc, index])


def _check_text(text: str, loc: list[str | int], *, key: bool = False) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        what = "a key" if key else "a string"
        raise InvalidJson(loc, f"{what} holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape)") from None


def _is_json(content_type: str | None) -> bool:
    # FastAPI reads a body as JSON when it has no content type or a JSON one (…/json, …/*+json).
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _error(status: int, detail: Any) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


class RequestBodyGuard:
    """ASGI middleware: reads the body up to the route's limit, refuses non-JSON JSON, then replays it."""

    def __init__(self, app: ASGIApp, *, fastapi_app: FastAPI, settings: ServiceSettings) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.settings = settings
        # (path, methods, setting) of the routes that declare their own limit, read at the first request
        self._declared: list[tuple[Any, set[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = self._limit_of(scope)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(limit)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and _is_json(headers.get("content-type")):
            try:
                check_json(body)
            except InvalidJson as exc:
                detail = [{"type": "json_invalid", "loc": ["body", *exc.loc], "msg": exc.message}]
                await _error(422, detail)(scope, receive, send)
                return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _limit_of(self, scope: Scope) -> int:
        default = self.settings.max_body_bytes
        if self._declared is None:
            self._declared = [
                (context.path_regex, context.methods or set(), setting)
                for context in iter_route_contexts(self.fastapi_app.routes)
                if (setting := (getattr(context, "openapi_extra", None) or {}).get(BODY_LIMIT_KEY))
            ]
        for path, methods, setting in self._declared:
            if scope["method"] in methods and path.match(scope["path"]):
                return default + int(getattr(self.settings, setting))
        return default


def _too_large(limit: int) -> JSONResponse:
    return _error(413, f"the request body is larger than this route takes ({limit} bytes)")


def _encodable(value: Any) -> Any:
    try:
        return jsonable_encoder(value)
    except (UnicodeDecodeError, ValueError, TypeError):
        return repr(value)


def excerpt(value: Any) -> Any:
    """What a validation error may quote of the input: short values as they are, others cut."""
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= EXCERPT_CHARS:
        return value
    return text[:EXCERPT_CHARS] + f"… ({len(text)} characters)"


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 naming each field, quoting only an excerpt of what was sent."""
    errors = []
    for error in exc.errors():
        error = dict(error)
        if "input" in error:
            error["input"] = excerpt(_encodable(error["input"]))
        error.pop("url", None)
        errors.append(error)
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


def install_request_checks(app: FastAPI, settings: ServiceSettings) -> None:
    """Hook the body guard and the short validation errors into a service's app."""
    app.add_middleware(RequestBodyGuard, fastapi_app=app, settings=settings)
    # Starlette types an exception handler as taking any Exception; this one is registered for its own class
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
