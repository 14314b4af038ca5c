"""Events of the notify service.

NotificationRequested travels on notify.intents; the outcomes on
notify.deliveries. Both are keyed by recipient id, so one person's intents and
decisions land on one partition, in order.
"""

from datetime import datetime
from typing import Any, Literal

from tsunagu_contracts.events.base import DomainEvent, event

# The topics (Tsunagu's topic registry names the same; a test checks they agree).
NOTIFY_DELIVERIES = "notify.deliveries"
NOTIFY_INTENTS = "notify.intents"

Channel = Literal["email", "sms", "line"]
Category = Literal["outreach", "transactional", "critical"]


@event(NOTIFY_INTENTS, "recipient_id")
class NotificationRequested(DomainEvent):
    intent_id: str
    recipient_id: str
    template: str
    category: Category
    company_id: str | None = None
    variables: dict[str, Any] = {}
    source_event_id: str | None = None
    # Not before this time (reminders scheduled by other services); the policy may defer further.
    not_before: datetime | None = None
    # Channel the requester wants; the policy decides (preferred channel, consent, escalation).
    channel: Channel | None = None
    requested_at: datetime


@event(NOTIFY_DELIVERIES, "recipient_id")
class NotificationSuppressed(DomainEvent):
    intent_id: str
    recipient_id: str
    reason: str
    decided_at: datetime


@event(NOTIFY_DELIVERIES, "recipient_id")
class NotificationDeferred(DomainEvent):
    intent_id: str
    recipient_id: str
    reason: str
    until: datetime
    decided_at: datetime


@event(NOTIFY_DELIVERIES, "recipient_id")
class NotificationSent(DomainEvent):
    intent_id: str
    recipient_id: str
    channel: Channel
    provider_message_id: str | None = None
    sent_at: datetime


@event(NOTIFY_DELIVERIES, "recipient_id")
class NotificationDelivered(DomainEvent):
    intent_id: str
    recipient_id: str
    channel: Channel
    provider_message_id: str | None = None
    delivered_at: datetime


@event(NOTIFY_DELIVERIES, "recipient_id")
class NotificationFailed(DomainEvent):
    intent_id: str
    recipient_id: str
    channel: Channel
    error: str
    permanent: bool
    failed_at: datetime


@event(NOTIFY_DELIVERIES, "recipient_id")
class ContactOptedOut(DomainEvent):
    recipient_id: str
    channel: Channel
    source: Literal["sms_stop", "unsubscribe_link", "line_unfollow", "email_bounce", "preferences"]
    opted_out_at: datetime


@event(NOTIFY_DELIVERIES, "recipient_id")
class ContactOptedIn(DomainEvent):
    """She asked on the channel itself to be reached there again (START by SMS, a LINE follow).

    START, UNSTOP, 再開 or 開始 by SMS, or a follow of the LINE official account: her fresh, explicit
    consent, which profile records on her consent record for that channel."""

    recipient_id: str
    channel: Channel
    source: Literal["sms_start", "line_follow"]
    opted_in_at: datetime


@event(NOTIFY_INTENTS, "recipient_id")
class NotificationCancelled(DomainEvent):
    """Intents requested earlier that must no longer be sent (e.g. reminders of a cancelled registration).

    Intents already sent are unaffected; notify drops the listed ones that are still pending."""

    intent_ids: list[str]
    recipient_id: str
    reason: str
    cancelled_at: datetime


@event(NOTIFY_DELIVERIES, "recipient_id")
class LineAccountLinked(DomainEvent):
    """She linked her LINE account to Tsunagu (the LINE user id stays inside notify)."""

    recipient_id: str
    source: Literal["account_link", "admin"]
    linked_at: datetime


@event(NOTIFY_DELIVERIES, "recipient_id")
class LineAccountUnlinked(DomainEvent):
    """She (or an admin) removed the link between her LINE account and Tsunagu."""

    recipient_id: str
    unlinked_at: datetime
