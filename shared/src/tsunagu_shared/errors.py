"""Domain errors become HTTP answers in one place: the mapping a service gives `create_app`.

Handlers and domain rules raise their own exceptions (`ProfileNotFound`, `OfferRefused`), which
know nothing of HTTP; each service's `entrypoints/api.py` says once which status each answers
(`errors={ProfileNotFound: Answer(404, "profile not found"), OfferRefused: 409}`) and the app
factory installs them. Every answer has the body `{"detail": ...}` the OpenAPI documents give
(`error_answers`): a sentence, or for a refused field a list of errors each naming it (`loc`),
as FastAPI's own 422s do. A subclass answers by its own entry if it has one, else by its
nearest mapped base class.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class FieldRefusal(Protocol):
    """An error about one field: `loc` names it as FastAPI does (`("body", "name")`)."""

    loc: tuple[str, ...]
    message: str


def field_errors(loc: tuple[str, ...] | list[str], message: str) -> list[dict[str, Any]]:
    """The `detail` of an answer refusing one field."""
    return [{"loc": list(loc), "msg": message, "type": "value_error"}]


def refused_field(exc: Exception) -> list[dict[str, Any]]:
    """`detail` for an error with `loc` and `message` (a `FieldRefusal`)."""
    refusal: FieldRefusal = exc  # type: ignore[assignment]
    return field_errors(refusal.loc, refusal.message)


@dataclass(frozen=True)
class Answer:
    """How one error type is answered. `detail`: a fixed sentence, a function of the error (for a
    list of field errors, `refused_field`), or None for the error's own message. `headers`: fixed,
    or a function of the error (a `Retry-After` it carries)."""

    status: int
    detail: str | Callable[[Exception], Any] | None = None
    headers: Mapping[str, str] | Callable[[Exception], Mapping[str, str]] | None = None

    def response(self, exc: Exception) -> JSONResponse:
        detail = self.detail(exc) if callable(self.detail) else (self.detail or str(exc))
        headers = self.headers(exc) if callable(self.headers) else self.headers
        return JSONResponse({"detail": detail}, status_code=self.status, headers=dict(headers or {}))


ErrorAnswers = Mapping[type[Exception], "int | Answer"]


def answer_errors(app: FastAPI, answers: ErrorAnswers) -> None:
    """Install one exception handler per mapped error type (the app factory calls this)."""
    for error_type, answer in answers.items():
        app.add_exception_handler(error_type, _handler(answer if isinstance(answer, Answer) else Answer(answer)))


def _handler(answer: Answer) -> Callable[[Request, Exception], Any]:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        return answer.response(exc)
    return handle
