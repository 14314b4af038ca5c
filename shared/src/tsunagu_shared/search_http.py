"""How every service's HTTP API answers for its read side: 503 with Retry-After while the search
engine is away (writes go on), 422 naming the `cursor` query parameter for a cursor it never gave."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tsunagu_shared.search import SEARCH_UNAVAILABLE, BadCursor

RETRY_AFTER_SECONDS = "5"
# the response header of a list page that has a next one: its `cursor` query parameter
NEXT_CURSOR = "X-Next-Cursor"


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": "search is unavailable; try again shortly"}, status_code=503,
                        headers={"Retry-After": RETRY_AFTER_SECONDS})


async def _bad_cursor(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": [{"loc": ["query", "cursor"], "msg": str(exc), "type": "value_error"}]},
                        status_code=422)


def answer_for_the_read_side(app: FastAPI) -> None:
    for exc_type in SEARCH_UNAVAILABLE:
        app.add_exception_handler(exc_type, _unavailable)
    app.add_exception_handler(BadCursor, _bad_cursor)
