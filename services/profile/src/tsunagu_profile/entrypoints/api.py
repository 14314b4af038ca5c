"""HTTP API of the profile service: the app, its routers, and how domain errors become HTTP answers."""

from fastapi import FastAPI, status
from tsunagu_shared.app import create_app as create_service_app
from tsunagu_shared.errors import Answer, ErrorAnswers, refused_field

from tsunagu_profile.adapters.repository import ProfileAlreadyExists
from tsunagu_profile.bootstrap import bootstrap
from tsunagu_profile.config import ProfileSettings
from tsunagu_profile.domain.errors import InvalidField
from tsunagu_profile.domain.photo import PhotoTooLarge, UnsupportedPhotoType
from tsunagu_profile.entrypoints import contact_api, recruiter_api, student_api
from tsunagu_profile.handlers import ProfileBusy, ProfileNotFound

ERRORS: ErrorAnswers = {
    PhotoTooLarge: Answer(status.HTTP_413_CONTENT_TOO_LARGE, refused_field),
    UnsupportedPhotoType: Answer(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, refused_field),
    InvalidField: Answer(status.HTTP_422_UNPROCESSABLE_CONTENT, refused_field),
    ProfileNotFound: Answer(status.HTTP_404_NOT_FOUND, "profile not found"),
    ProfileAlreadyExists: Answer(status.HTTP_409_CONFLICT, "profile already exists"),
    ProfileBusy: Answer(status.HTTP_409_CONFLICT, "the profile changed meanwhile; retry"),
}


def create_app(settings: ProfileSettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or ProfileSettings(),
        title="Tsunagu profile service",
        description="Student profiles, visible only to recruiters of participating companies.",
        bootstrap=bootstrap,
        # Order matters: /profiles/me... must match before /profiles/{candidate_id}.
        routers=[student_api.router, contact_api.router, recruiter_api.router],
        errors=ERRORS,
    )
