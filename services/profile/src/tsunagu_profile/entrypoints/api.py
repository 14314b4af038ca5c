"""HTTP API of the profile service: the app, its routers, and how domain errors become HTTP answers."""

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from tsunagu_shared.app import create_app as create_service_app
from tsunagu_shared.search_http import answer_for_the_read_side

from tsunagu_profile.adapters.repository import ProfileAlreadyExists
from tsunagu_profile.bootstrap import bootstrap
from tsunagu_profile.config import ProfileSettings
from tsunagu_profile.domain.errors import InvalidField
from tsunagu_profile.domain.photo import PhotoTooLarge, UnsupportedPhotoType
from tsunagu_profile.entrypoints import contact_api, recruiter_api, student_api
from tsunagu_profile.handlers import ProfileBusy, ProfileNotFound


def create_app(settings: ProfileSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings=settings or ProfileSettings(),
        title="Tsunagu profile service",
        description="Student profiles, visible only to recruiters of participating companies.",
        bootstrap=bootstrap,
        # Order matters: /profiles/me... must match before /profiles/{candidate_id}.
        routers=[student_api.router, contact_api.router, recruiter_api.router],
    )
    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    def invalid(code: int):
        async def handle(request: Request, exc: InvalidField) -> JSONResponse:
            detail = [{"loc": list(exc.loc), "msg": exc.message, "type": "value_error"}]
            return JSONResponse({"detail": detail}, status_code=code)
        return handle

    def plain(code: int, detail: str):
        async def handle(request: Request, exc: Exception) -> JSONResponse:
            return JSONResponse({"detail": detail}, status_code=code)
        return handle

    app.add_exception_handler(PhotoTooLarge, invalid(status.HTTP_413_CONTENT_TOO_LARGE))
    app.add_exception_handler(UnsupportedPhotoType, invalid(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE))
    app.add_exception_handler(InvalidField, invalid(status.HTTP_422_UNPROCESSABLE_CONTENT))
    app.add_exception_handler(ProfileNotFound, plain(status.HTTP_404_NOT_FOUND, "profile not found"))
    app.add_exception_handler(ProfileAlreadyExists, plain(status.HTTP_409_CONFLICT, "profile already exists"))
    app.add_exception_handler(ProfileBusy, plain(status.HTTP_409_CONFLICT, "the profile changed meanwhile; retry"))
    answer_for_the_read_side(app)
