"""Domain errors answered once, by the mapping a service gives the app factory."""

import httpx
from fastapi import APIRouter
from tsunagu_shared.app import create_app
from tsunagu_shared.errors import Answer, refused_field
from tsunagu_shared.search import BadCursor
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.testing import isolated_settings


class ProbeSettings(ServiceSettings):
    service_name: str = "probe"


class Refused(Exception):
    pass


class NotYours(Refused):
    pass


class Busy(Exception):
    retry_after = 7


class BadName(ValueError):
    def __init__(self) -> None:
        super().__init__("name: too long")
        self.loc, self.message = ("body", "name"), "too long"


def probe_client() -> httpx.AsyncClient:
    router = APIRouter()
    raised = {"refused": Refused("the event is closed"), "not-yours": NotYours("not your event"), "busy": Busy(),
              "bad-name": BadName(), "cursor": BadCursor("cursor: not one this list gave")}

    @router.get("/raise/{what}")
    async def raise_it(what: str) -> None:
        raise raised[what]

    app = create_app(settings=isolated_settings(ProbeSettings), title="probe", description="probe",
                     bootstrap=None, routers=[router],  # type: ignore[arg-type]  (no lifespan run here)
                     errors={Refused: 409, NotYours: Answer(404, "no such event"),
                             Busy: Answer(503, "try again", headers=lambda e: {"Retry-After": str(e.retry_after)}),
                             BadName: Answer(422, refused_field)})
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                             base_url="http://t")


async def test_each_error_answers_its_status_in_the_one_shape():
    async with probe_client() as client:
        refused = await client.get("/raise/refused")
        assert (refused.status_code, refused.json()) == (409, {"detail": "the event is closed"})
        # a subclass answers by its own entry, not its base class's
        not_yours = await client.get("/raise/not-yours")
        assert (not_yours.status_code, not_yours.json()) == (404, {"detail": "no such event"})
        busy = await client.get("/raise/busy")
        assert (busy.status_code, busy.json(), busy.headers["retry-after"]) == (503, {"detail": "try again"}, "7")
        bad = await client.get("/raise/bad-name")
        assert bad.status_code == 422
        assert bad.json() == {"detail": [{"loc": ["body", "name"], "msg": "too long", "type": "value_error"}]}
        # the read side's answers are in every service
        cursor = await client.get("/raise/cursor")
        assert cursor.status_code == 422 and cursor.json()["detail"][0]["loc"] == ["query", "cursor"]
