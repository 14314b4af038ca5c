"""How every service's HTTP API answers for its read side: 503 with Retry-After while the search
engine is away (writes go on), 422 naming the `cursor` query parameter for a cursor it never gave.
The app factory installs these answers in every service (`errors`)."""

from tsunagu_shared.errors import Answer, ErrorAnswers, field_errors
from tsunagu_shared.search import SEARCH_UNAVAILABLE, BadCursor

RETRY_AFTER_SECONDS = "5"
# the response header of a list page that has a next one: its `cursor` query parameter
NEXT_CURSOR = "X-Next-Cursor"

_UNAVAILABLE = Answer(503, "search is unavailable; try again shortly", headers={"Retry-After": RETRY_AFTER_SECONDS})

READ_SIDE_ANSWERS: ErrorAnswers = {
    **{exc_type: _UNAVAILABLE for exc_type in SEARCH_UNAVAILABLE},
    BadCursor: Answer(422, lambda exc: field_errors(("query", "cursor"), str(exc))),
}
