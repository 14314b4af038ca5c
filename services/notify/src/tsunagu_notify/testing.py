"""Test data for the notify service: a reachable recipient, intents, Tokyo times."""

import itertools
from datetime import datetime, timezone

from tsunagu_notify.domain.model import ChannelStatus, Intent, RecipientState

CONSENT_AT = datetime(2025, 1, 1, tzinfo=timezone.utc)
_ids = itertools.count()


def jst(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment given in Tokyo local time (UTC+9), as UTC."""
    from zoneinfo import ZoneInfo

    return datetime(2025, 6, day, hour, minute, tzinfo=ZoneInfo("Asia/Tokyo")).astimezone(timezone.utc)


def reachable(*channels: str, preferred: str | None = "line", **fields) -> RecipientState:
    channels = channels or ("line", "email", "sms")
    addresses = {"line": "U123", "email": "hanako@example.jp", "sms": "+818012345678"}
    return RecipientState(
        recipient_id="cand-1",
        known=True,
        display_name="Hanako",
        preferred_channel=preferred,
        channels={c: ChannelStatus(address=addresses[c], consented_at=CONSENT_AT, consent_source="profile")
                  for c in channels},
        **fields,
    )


def an_intent(category: str = "outreach", company: str | None = "co-a", **fields) -> Intent:
    values = dict(
        intent_id=f"i-{next(_ids)}", recipient_id="cand-1", template="scout_received", category=category,
        company_id=company, variables={"company_name": "Acme"}, requested_at=CONSENT_AT,
    )
    values.update(fields)
    return Intent(**values)
