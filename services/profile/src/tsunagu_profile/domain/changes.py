"""What a partial update changes, and what each change tells the other services."""

from datetime import datetime
from typing import Any

from tsunagu_profile.domain.contact import withdraw_without_contact_point
from tsunagu_profile.domain.errors import InvalidField
from tsunagu_profile.domain.model import Profile, ProfileUpdate

# Fields that also change what notify keeps about her (ContactPreferencesChanged).
CONTACT_FIELDS = frozenset({"display_name", "email", "phone"})
# Contact points are not copied into ProfileUpdated: only notify keeps them, from ContactPreferencesChanged.
PRIVATE_FIELDS = frozenset({"email", "phone"})


def apply_update(profile: Profile, update: ProfileUpdate, *, now: datetime) -> tuple[Profile, list[str]]:
    """The profile after the update and the names of the fields whose value changed."""
    given = update.model_dump(include=update.model_fields_set)
    if "display_name" in given and given["display_name"] is None:
        raise InvalidField(("body", "display_name"), "a display name cannot be removed")
    changed = [name for name, value in given.items() if _dumped(profile, name) != value]
    if not changed:
        return profile, []
    updated = profile.model_copy(update={**given, "updated_at": now, "last_active_at": now})
    updated = Profile.model_validate(updated.model_dump())
    contact = withdraw_without_contact_point(updated.contact, email=updated.email, phone=updated.phone, now=now)
    return updated.model_copy(update={"contact": contact}), sorted(changed)


def public_changes(profile: Profile, changed: list[str]) -> dict[str, Any]:
    """New values of the changed fields for ProfileUpdated (contact points left out)."""
    dumped = profile.model_dump(mode="json")
    return {name: dumped[name] for name in changed if name not in PRIVATE_FIELDS and name in dumped}


def _dumped(profile: Profile, name: str) -> Any:
    return profile.model_dump(include={name})[name]
