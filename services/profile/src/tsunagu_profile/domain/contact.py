"""Contact preferences and consent: which channels she agreed to, when she may be reached,
and how she stops it. Pure rules; the notify service enforces them from our events.
"""

import re
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from tsunagu_profile.domain.errors import InvalidField

Channel = Literal["email", "sms", "line"]
CHANNELS: tuple[Channel, ...] = ("email", "sms", "line")
Locale = Literal["ja", "en"]
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA time zone (e.g. Asia/Tokyo)") from None
    return value


def _clock(value: str) -> str:
    if not HHMM.match(value):
        raise ValueError("not a time of day as HH:MM (00:00-23:59)")
    return value


TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_time_zone)]
Clock = Annotated[str, AfterValidator(_clock)]
Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ChannelConsent(BaseModel):
    """A consent record: nothing goes out on a channel without one (docs/notify.md)."""

    consented: bool
    consented_at: datetime | None = None
    source: str | None = None


class ContactPreferences(BaseModel):
    channels: dict[Channel, ChannelConsent] = {}
    preferred_channel: Channel | None = None
    time_zone: str = "Asia/Tokyo"
    quiet_hours_start: str = "21:00"
    quiet_hours_end: str = "08:00"
    locale: Locale = "ja"
    stop_all: bool = False


class ChannelConsentChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consented: bool
    source: Source | None = Field(default=None, description="Where the consent was given; defaults to the caller")


class ContactPreferencesUpdate(BaseModel):
    """A partial change of contact preferences; absent fields stay as they are.

    `stop_all: true` withdraws consent on every channel at once (the "how to stop" switch)."""

    model_config = ConfigDict(extra="forbid")

    channels: dict[Channel, ChannelConsentChange] | None = None
    preferred_channel: Channel | None = None
    time_zone: TimeZone | None = None
    quiet_hours_start: Clock | None = None
    quiet_hours_end: Clock | None = None
    locale: Locale | None = None
    stop_all: bool | None = None


class ContactPreferencesView(ContactPreferences):
    candidate_id: str
    email: str | None
    phone: str | None
    how_to_stop: dict[str, str]


HOW_TO_STOP = {
    "ja": {
        "all": "このページの「すべての連絡を停止」(stop_all) をオンにすると、すべての企業からの連絡が止まります。",
        "email": "メール末尾の配信停止リンクを開くか、ここでメールの同意を外してください。",
        "sms": ("SMSに「STOP」または「停止」と返信するか、ここでSMSの同意を外してください"
                "（「START」または「再開」と返信すると再開します）。"),
        "line": "LINE公式アカウントをブロックするか、ここでLINEの同意を外してください。",
    },
    "en": {
        "all": "Turn on \"stop all contact\" (stop_all) here and no company can reach you any more.",
        "email": "Open the unsubscribe link at the end of any email, or withdraw email consent here.",
        "sms": "Reply STOP to any SMS, or withdraw SMS consent here (reply START to hear from us again).",
        "line": "Block the LINE official account, or withdraw LINE consent here.",
    },
}


def how_to_stop(locale: str) -> dict[str, str]:
    """How she stops contact, in her language, for every channel and for everything at once."""
    return HOW_TO_STOP.get(locale, HOW_TO_STOP["ja"])


def change_contact_preferences(
    current: ContactPreferences,
    change: ContactPreferencesUpdate,
    *,
    email: str | None,
    phone: str | None,
    now: datetime,
    source: str,
    by_her: bool = True,
) -> ContactPreferences:
    """Apply a change; consent needs a contact point, the preferred channel needs consent, and a channel
    she withdrew from is consented again only by her (`by_her`: the caller is the student herself)."""
    given = change.model_fields_set
    updated = current.model_copy(deep=True)
    for name in ("time_zone", "quiet_hours_start", "quiet_hours_end", "locale"):
        if name in given and getattr(change, name) is not None:
            setattr(updated, name, getattr(change, name))
    for channel, consent in (change.channels or {}).items():
        _require_contact_point(channel, consent.consented, email=email, phone=phone)
        previous = updated.channels.get(channel)
        if consent.consented and not by_her and previous is not None and not previous.consented:
            raise InvalidField(("body", "channels", channel),
                               f"she withdrew consent to {channel}: only she can consent to it again")
        if previous is None or previous.consented != consent.consented:
            updated.channels[channel] = ChannelConsent(
                consented=consent.consented, consented_at=now, source=consent.source or source
            )
        if consent.consented:
            updated.stop_all = False
    if change.stop_all is True:
        updated = _stop_everything(updated, now=now, source=source)
    elif change.stop_all is False:
        updated.stop_all = False
    if "preferred_channel" in given:
        updated.preferred_channel = change.preferred_channel
    _check_preferred(updated, given)
    return updated


def record_channel_signal(
    current: ContactPreferences, channel: Channel, *, consented: bool, at: datetime, source: str
) -> ContactPreferences:
    """Consent given or withdrawn on the channel itself, as notify reports it (STOP or START by SMS, the
    unsubscribe link, a LINE unfollow or follow, a hard bounce): the channel's one consent record follows.
    A signal older than the record's last change (she consented again since) changes nothing."""
    previous = current.channels.get(channel)
    if previous is not None and (previous.consented == consented
                                 or (previous.consented_at is not None and previous.consented_at > at)):
        return current
    updated = current.model_copy(deep=True)
    updated.channels[channel] = ChannelConsent(consented=consented, consented_at=at, source=source)
    if consented:
        updated.stop_all = False
    elif updated.preferred_channel == channel:
        updated.preferred_channel = None
    return updated


def withdraw_without_contact_point(
    current: ContactPreferences, *, email: str | None, phone: str | None, now: datetime
) -> ContactPreferences:
    """A removed email or phone takes its channel's consent with it."""
    updated = current.model_copy(deep=True)
    points: tuple[tuple[Channel, str | None], ...] = (("email", email), ("sms", phone))
    for channel, point in points:
        consent = updated.channels.get(channel)
        if point is None and consent is not None and consent.consented:
            updated.channels[channel] = ChannelConsent(consented=False, consented_at=now,
                                                       source="contact_point_removed")
            if updated.preferred_channel == channel:
                updated.preferred_channel = None
    return updated


def _require_contact_point(channel: str, consented: bool, *, email: str | None, phone: str | None) -> None:
    if not consented:
        return
    if channel == "email" and email is None:
        raise InvalidField(("body", "channels", "email"), "add an email address before consenting to email")
    if channel == "sms" and phone is None:
        raise InvalidField(("body", "channels", "sms"), "add a phone number before consenting to SMS")


def _stop_everything(current: ContactPreferences, *, now: datetime, source: str) -> ContactPreferences:
    channels = {
        channel: consent if not consent.consented else ChannelConsent(consented=False, consented_at=now, source=source)
        for channel, consent in current.channels.items()
    }
    return current.model_copy(update={"channels": channels, "preferred_channel": None, "stop_all": True})


def _check_preferred(preferences: ContactPreferences, given: set[str]) -> None:
    preferred = preferences.preferred_channel
    if preferred is None:
        return
    consent = preferences.channels.get(preferred)
    if consent is None or not consent.consented:
        if "preferred_channel" in given:
            raise InvalidField(("body", "preferred_channel"), f"consent to {preferred} first")
        preferences.preferred_channel = None
