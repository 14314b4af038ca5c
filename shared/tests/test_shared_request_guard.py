"""The request checks every service gets from the app factory: body limits (413), JSON that RFC 8259
allows (422 naming the place), 422s that quote only an excerpt, and the error answers documented in
the OpenAPI document. On a minimal service over the real database."""

from types import SimpleNamespace
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel
from tsunagu_shared.app import create_app
from tsunagu_shared.auth import CandidateUser
from tsunagu_shared.request_bodies import body_limit
from tsunagu_shared.runtime import Infrastructure
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.testing import bearer, isolated_settings, running_service


class ProbeSettings(ServiceSettings):
    service_name: str = "probe"
    upload_max_bytes: int = 200_000


class Note(BaseModel):
    text: str
    score: float = 0


def probe_app(settings: ProbeSettings):
    router = APIRouter()

    @router.post("/notes")
    async def write_note(note: Note, user: CandidateUser) -> dict:
        return {"text": note.text, "score": note.score}

    @router.post("/uploads", openapi_extra=body_limit("upload_max_bytes"))
    async def upload(file: Annotated[UploadFile, File()], user: CandidateUser) -> dict:
        return {"size": len(await file.read())}

    async def bootstrap(s):
        return SimpleNamespace(infra=Infrastructure.open(s, outbox_collections=[]))

    return create_app(settings=settings, title="probe", description="probe", bootstrap=bootstrap, routers=[router])


async def test_bodies_are_limited_per_route_with_413():
    settings = isolated_settings(ProbeSettings, max_body_bytes=4096)
    me = bearer(settings, role="candidate", subject="c1")
    async with running_service(probe_app(settings)) as client:
        small = await client.post("/notes", json={"text": "x" * 3000}, headers=me)
        large = await client.post("/notes", json={"text": "x" * 5000}, headers=me)

        async def chunks():  # no Content-Length: the limit holds while reading
            for _ in range(10):
                yield b'{"text": "' + b"x" * 1000
        streamed = await client.post("/notes", content=chunks(), headers={**me, "Content-Type": "application/json"})
        upload = await client.post("/uploads", files={"file": ("a.csv", b"x" * 150_000)}, headers=me)
        too_big_upload = await client.post("/uploads", files={"file": ("a.csv", b"x" * 210_000)}, headers=me)
    assert small.status_code == 200
    assert (large.status_code, streamed.status_code, too_big_upload.status_code) == (413, 413, 413)
    assert "4096 bytes" in large.json()["detail"]
    assert upload.json() == {"size": 150_000}


async def test_json_outside_the_standard_is_a_422_naming_the_place_and_errors_quote_an_excerpt():
    settings = isolated_settings(ProbeSettings, max_body_bytes=11_000_000)
    me = {**bearer(settings, role="candidate", subject="c1"), "Content-Type": "application/json"}
    async with running_service(probe_app(settings)) as client:
        answers = {raw: await client.post("/notes", content=raw, headers=me) for raw in (
            b'{"text": "a", "score": NaN}', b'{"text": "a", "score": Infinity}', b'{"text": "\\ud800"}', b"\xff",
        )}
        huge = await client.post("/notes", json={"text": ["x" * 10_000_000]}, headers=me)
        fine = await client.post("/notes", content=b'{"text": "\\ud83d\\ude00", "score": 1e3}', headers=me)
    assert {raw: a.status_code for raw, a in answers.items()} == dict.fromkeys(answers, 422)
    assert [a.json()["detail"][0]["loc"] for a in answers.values()] == [
        ["body", "score"], ["body", "score"], ["body", "text"], ["body"]]
    assert huge.status_code == 422 and len(huge.content) < 1000
    assert huge.json()["detail"][0]["loc"] == ["body", "text"]
    assert fine.json() == {"text": "😀", "score": 1000.0}


async def test_the_openapi_document_lists_the_error_answers():
    settings = isolated_settings(ProbeSettings)
    async with running_service(probe_app(settings)) as client:
        document = (await client.get("/openapi.json")).json()
    notes = document["paths"]["/notes"]["post"]["responses"]
    uploads = document["paths"]["/uploads"]["post"]
    assert {"401", "403", "404", "409", "413", "422"} <= set(notes)
    assert notes["413"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "detail" in document["components"]["schemas"]["Problem"]["properties"]
    assert uploads["x-max-body-setting"] == "upload_max_bytes"
    assert document["paths"]["/healthz"]["get"]["responses"].keys() == {"200"}
