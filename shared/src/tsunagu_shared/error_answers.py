"""The error answers of every route, written into its OpenAPI operation.

A client (and the property-based test of each document) must find every status a route can give
in its document. The answers are the same in every service, so they are added here from what a
route is: 401 when it needs a token, 400, 409, 413 and 415 when it takes a body, 403, 404 and 422
always (a role, company or signature that may not do this; an object that does not exist, or is not
the caller's; a value that is not acceptable), 503 when the database or the search engine is away. All have the
body `{"detail": ...}`: a sentence, or for 422 a list of errors each naming its field (`loc`).
"""

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from tsunagu_shared.auth import get_principal

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {
                    "type": "object",
                    "properties": {"loc": {"type": "array"}, "msg": {"type": "string"}, "type": {"type": "string"}},
                    "required": ["loc", "msg"],
                }},
            ],
        },
    },
    "required": ["detail"],
}

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

_MEANING = {
    400: "The body cannot be read (a malformed upload, or a signed webhook body that does not fit)",
    401: "No token, or an expired or forged one",
    403: "The caller's role or company may not do this (or a webhook's signature does not hold)",
    404: "No such object, or not one the caller may see",
    409: "The object's state refuses the change",
    413: "The request body is larger than this route takes",
    415: "The file is not of a type this route takes",
    422: "A value is not acceptable; each error names its field",
    503: "The database or the search engine is away; nothing was changed, try again shortly",
}


def _needs_token(dependant: Dependant) -> bool:
    return any(d.call is get_principal or _needs_token(d) for d in dependant.dependencies)


def _answers(route: APIRoute) -> list[int]:
    methods = route.methods or set()
    takes_body = bool({"POST", "PUT", "PATCH"} & methods)
    answers = [403, 404, 422, 503]  # 403 also for a webhook's or a link's bad signature
    if _needs_token(route.dependant):
        answers += [401]
    if takes_body:
        answers += [400, 409, 413, 415]
    elif "DELETE" in methods:
        answers += [409]
    return sorted(answers)


def document_error_answers(app: FastAPI) -> None:
    """Add the error answers to every API route (not to /healthz and /readyz of the app factory),
    keeping any a route documents itself."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or route.endpoint.__module__ == __name__.replace("error_answers", "app"):
            continue
        for code in _answers(route):
            answer = {"description": _MEANING[code], "content": {"application/json": {"schema": PROBLEM_REF}}}
            # the route, and the copy of it that its including router serves and documents
            for responses in {id(r): r for r in (route.responses, context.responses)}.values():
                if code not in responses and str(code) not in responses:
                    responses[code] = answer
    _add_problem_schema(app)


def _add_problem_schema(app: FastAPI) -> None:
    """The answers refer to one `Problem` schema among the document's components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = app.openapi_schema
        if document is None:
            document = build()  # FastAPI's own: it keeps the document it builds as app.openapi_schema
            document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        return document

    app.openapi = openapi  # type: ignore[method-assign]
