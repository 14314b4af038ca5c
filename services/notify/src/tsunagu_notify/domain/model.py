"""Intent, recipient state and decision: the pure data the contact policy works on."""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["email", "sms", "line"]
Category = Literal["outreach", "transactional", "critical"]
CHANNELS: tuple[Channel, ...] = ("line", "email", "sms")


class Action(StrEnum):
    SEND = "send"
    DEFER = "defer"
    DIGEST = "digest"
    SUPPRESS = "suppress"


class Reason(StrEnum):
    """Why a decision came out as it did (the reason codes of docs/notify.md)."""

    ALLOWED = "allowed"
    ESCALATED = "escalated"
    CONFIRMATION = "opt_out_confirmation"
    DIGEST_DUE = "digest_due"
    UNKNOWN_RECIPIENT = "unknown_recipient"
    UNKNOWN_TEMPLATE = "unknown_template"
    NO_CONSENT = "no_consent"
    OPTED_OUT = "opted_out"
    NOT_BEFORE = "not_before"
    QUIET_HOURS = "quiet_hours"
    PLATFORM_CAP = "platform_cap"
    COMPANY_CAP = "company_cap"
    CHANNEL_CAP = "channel_cap"
    MIN_GAP = "min_gap"
    BACKOFF = "backoff"
    DUPLICATE = "duplicate"
    DIGESTED = "digested"
    CANCELLED = "cancelled"
    BLOCKED = "blocked"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


M = TypeVar("M", bound=Frozen)
_new = object.__new__  # what cls.__new__ is for these models, without the metaclass's attribute lookup
_set_dict = object.__setattr__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def unchecked(cls: type[M], values: dict[str, Any], given: set[str]) -> M:
    """An instance from values that already have their fields' types, without validating them again.

    The policy's hot path builds its results from validated inputs; validation would only copy
    them (and `model_construct` costs more than validating). `values` holds every field, in the
    order the class declares them; `given` is what a constructor call would have named. The result
    equals `cls(**given values)` and dumps the same (tests/unit/test_notify_policy_fast_paths.py)."""
    model = _new(cls)
    _set_dict(model, "__dict__", values)
    _set_fields_set(model, given)
    _set_extra(model, None)
    _set_private(model, None)
    return model


def changed(model: M, **update: Any) -> M:
    """`model.model_copy(update=...)` for the policy's hot path: the same shallow copy, minus its
    generic bookkeeping (these models allow no extra fields and have no private attributes)."""
    copy = _new(type(model))
    values = model.__dict__.copy()
    values.update(update)
    _set_dict(copy, "__dict__", values)
    _set_fields_set(copy, model.__pydantic_fields_set__ | update.keys())
    _set_extra(copy, None)
    _set_private(copy, None)
    return copy


class Intent(Frozen):
    """Someone should be told something: who, which template, which category."""

    intent_id: str
    recipient_id: str
    template: str
    category: Category
    company_id: str | None = None
    variables: dict[str, Any] = {}
    channel: Channel | None = None
    not_before: datetime | None = None
    # An automatic follow-up (reminder, sequence step): stopped by the backoff rule.
    automatic: bool = False
    requested_at: datetime
    # 0 for the first decision; the scheduler re-submits deferred intents with attempt + 1.
    attempt: int = 0


class ChannelStatus(Frozen):
    """Consent and opt-out of one channel of one person."""

    address: str | None = None
    consented_at: datetime | None = None
    consent_source: str | None = None
    opted_out_at: datetime | None = None
    opt_out_source: str | None = None
    confirmation_sent: bool = False

    @property
    def usable(self) -> bool:
        return bool(self.address and self.consented_at and not self.opted_out_at)


class SendRecord(Frozen):
    """One counted contact (a digest counts once)."""

    at: datetime
    channel: Channel
    category: Category
    company_ids: tuple[str, ...] = ()


class DigestItem(Frozen):
    """An outreach intent merged into the holder; enough of it to decide it again on its own."""

    intent_id: str
    company_id: str | None = None
    template: str
    variables: dict[str, Any] = {}
    channel: Channel | None = None
    automatic: bool = False
    requested_at: datetime | None = None
    attempt: int = 0

    def as_intent(self, recipient_id: str, now: datetime) -> "Intent":
        """The item as an intent of its own (next attempt), e.g. when it becomes the holder."""
        return Intent(intent_id=self.intent_id, recipient_id=recipient_id, template=self.template,
                      category="outreach", company_id=self.company_id, variables=self.variables,
                      channel=self.channel, automatic=self.automatic, requested_at=self.requested_at or now,
                      attempt=self.attempt + 1)


class OpenDigest(Frozen):
    """Outreach waiting in one deferred intent (the holder) for her next allowed time."""

    holder_intent_id: str
    items: tuple[DigestItem, ...] = ()
    # Set when an item took over from a holder that was cancelled or suppressed: it must be
    # re-submitted (it was never scheduled itself), and this says what to re-submit.
    holder_item: DigestItem | None = None


class RecipientState(Frozen):
    """Everything the policy knows about one person."""

    recipient_id: str
    known: bool = False
    display_name: str | None = None
    locale: str = "ja"
    time_zone: str = "Asia/Tokyo"
    quiet_hours_start: str | None = None
    quiet_hours_end: str | None = None
    preferred_channel: Channel | None = None
    channels: dict[Channel, ChannelStatus] = {}
    sends: tuple[SendRecord, ...] = ()
    # Consecutive outreach contacts per company she has not answered.
    unanswered: dict[str, int] = {}
    open_digest: OpenDigest | None = None
    # Companies she blocked: nothing more from them reaches her, whatever the category.
    blocked_companies: tuple[str, ...] = ()

    def channel(self, name: Channel) -> ChannelStatus:
        return self.channels.get(name) or ChannelStatus()


class Decision(Frozen):
    """The outcome of the policy for one intent, with its reason code."""

    intent_id: str
    recipient_id: str
    action: Action
    reason: Reason
    channel: Channel | None = None
    at: datetime | None = None
    until: datetime | None = None
    into: str | None = None
    detail: str = ""
    decided_at: datetime
    attempt: int = 0
    rules: dict[str, Any] = Field(default_factory=dict)


# unchecked() and changed() skip what these models do not use; refuse a model that starts to.
for _model in (Intent, ChannelStatus, SendRecord, DigestItem, OpenDigest, RecipientState, Decision):
    if _model.__private_attributes__ or _model.__pydantic_post_init__ or _model.model_config.get("extra") == "allow":
        raise TypeError(f"{_model.__name__}: unchecked()/changed() do not handle private attributes, "
                        "post-init or extra fields")
