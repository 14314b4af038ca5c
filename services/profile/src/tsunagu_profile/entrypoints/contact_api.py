"""Contact preferences and consent, for the student herself or a Tsunagu service."""

from typing import Annotated

from fastapi import APIRouter, Depends
from tsunagu_shared.auth import CurrentPrincipal

from tsunagu_profile.domain.contact import ContactPreferencesUpdate, ContactPreferencesView, how_to_stop
from tsunagu_profile.domain.model import Profile
from tsunagu_profile.entrypoints.deps import Handlers, owner_or_service

router = APIRouter(prefix="/profiles", tags=["contact preferences"])

OwnerOrService = Annotated[str, Depends(owner_or_service)]


def _view(profile: Profile) -> ContactPreferencesView:
    return ContactPreferencesView(
        candidate_id=profile.candidate_id, email=profile.email, phone=profile.phone,
        how_to_stop=how_to_stop(profile.contact.locale), **profile.contact.model_dump(),
    )


@router.get("/{candidate_id}/contact-preferences", response_model=ContactPreferencesView)
async def read_contact_preferences(candidate_id: OwnerOrService, handlers: Handlers):
    """Her channels and consent records, preferred channel, time zone, quiet hours, and how to stop contact.

    Allowed to the student herself (`me` or her id) and to `service` tokens; recruiters get 403,
    other students 404."""
    return _view(await handlers.get_profile(candidate_id=candidate_id))


@router.patch("/{candidate_id}/contact-preferences", response_model=ContactPreferencesView)
async def change_contact_preferences(
    candidate_id: OwnerOrService, body: ContactPreferencesUpdate, handlers: Handlers, principal: CurrentPrincipal
):
    """Change some contact preferences. Consent needs the contact point (email for email, phone for SMS);
    the preferred channel needs consent; `stop_all: true` withdraws consent on every channel.

    Publishes ContactPreferencesChanged when anything changed."""
    profile = await handlers.change_contact_preferences(
        candidate_id=candidate_id, change_request=body, caller=principal
    )
    return _view(profile)
