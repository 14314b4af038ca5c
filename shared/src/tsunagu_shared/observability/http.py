"""Every HTTP request observed once: counted, timed, logged in one access line, answered with its
request id, and an unhandled error turned into a counted, logged 500 that names that id.

A pure ASGI middleware rather than Starlette's `BaseHTTPMiddleware`: an exception that no
handler took passes through it (it never reaches a `call_next` caller), so it is seen here,
counted with its 500 and logged with its traceback, once, before the client gets its answer.
"""

import json
import re
import time
import uuid

import structlog
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from prometheus_client import Counter, Histogram
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("tsunagu_shared.http")

REQUESTS = Counter("tsunagu_http_requests_total", "HTTP requests answered, by route template and status",
                   ["method", "route", "status"])
LATENCY = Histogram("tsunagu_http_request_seconds", "Time to answer an HTTP request", ["method", "route"])

REQUEST_ID_HEADER = "X-Request-ID"
# A request id from the caller (a gateway's) is kept when it is short and plain; any other is replaced.
_PLAIN_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Probes and scrapes are counted but not logged (a line every few seconds per replica says nothing).
UNLOGGED_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
UNMATCHED = "unmatched"  # no route: the path itself would be an unbounded label


class RequestObservation:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        started = time.perf_counter()
        answer: dict[str, int | None] = {"status": None}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            error: Exception | None = None
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as exc:  # no handler took it: this request is a 500, whatever was sent
                error = exc
                span = trace.get_current_span()  # the request's, still open until the answer is sent
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                if answer["status"] is None:
                    await internal_error(send, request_id)
                answer["status"] = 500
            _observe(scope, answer["status"] or 500, time.perf_counter() - started, error)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _PLAIN_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/scouts/{scout_id}`), never the path itself."""
    return getattr(scope.get("route"), "path", UNMATCHED)


def _observe(scope: Scope, status: int, elapsed: float, error: Exception | None) -> None:
    method, route = scope.get("method", "?"), route_template(scope)
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(elapsed)
    if error is not None:
        log.error("http_request", method=method, route=route, status=status, ms=round(elapsed * 1000, 1),
                  exc_info=error)
    elif route not in UNLOGGED_ROUTES:
        log.info("http_request", method=method, route=route, status=status, ms=round(elapsed * 1000, 1))


async def internal_error(send: Send, request_id: str) -> None:
    """The answer to an unhandled error: nothing of it leaks, the request id lets support find the log line."""
    body = json.dumps({"detail": "internal error; quote the request id to support", "request_id": request_id},
                      separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": 500, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (REQUEST_ID_HEADER.lower().encode(), request_id.encode()), (b"x-robots-tag", b"noindex, nofollow")]})
    await send({"type": "http.response.body", "body": body})
