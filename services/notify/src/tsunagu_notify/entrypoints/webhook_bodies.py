"""The bodies providers post to our webhooks, read into strict models once their signature holds.

These are the providers' formats (Twilio, LINE, the mail relay), not shapes of our API, so they live
here rather than in schemas.py.

A signature proves who sent a body, not that it is well formed: every value that may reach a
database filter (an address, a user id, an event id) must be a string, never an object such as
`{"$regex": ...}`, so these models are strict (no coercion) and a body that does not fit is
answered 400 naming the first field that is wrong. Fields we do not read are allowed (providers add
fields over time)."""

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Provided(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class LineSource(_Provided):
    type: str | None = None
    userId: str | None = Field(default=None, max_length=64)


class LineAccountLinkResult(_Provided):
    result: str | None = Field(default=None, max_length=32)
    nonce: str | None = Field(default=None, max_length=256)


class LineEvent(_Provided):
    type: str = Field(max_length=64)
    webhookEventId: str | None = Field(default=None, max_length=128)
    timestamp: int | None = None
    source: LineSource | None = None
    link: LineAccountLinkResult | None = None


class LineWebhook(_Provided):
    """LINE's Messaging API webhook body: the bot's id and a list of events."""

    destination: str | None = None
    events: list[LineEvent] = Field(default_factory=list, max_length=1000)


class EmailBounce(_Provided):
    """A bounce from the mail relay."""

    id: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=1, max_length=254)
    type: str = Field(max_length=32, description="hard or soft; only a hard bounce turns email off")


class TwilioStatus(_Provided):
    MessageSid: str = Field(min_length=1, max_length=64)
    MessageStatus: str = Field(min_length=1, max_length=32)


class TwilioInbound(_Provided):
    MessageSid: str = Field(min_length=1, max_length=64)
    From: str = Field(min_length=1, max_length=40)
    Body: str = Field(default="", max_length=2000)


M = TypeVar("M", bound=BaseModel)


class MalformedWebhookBody(Exception):
    """A signed body that does not fit the provider's format; the message names the first field wrong."""


def _bad_body(exc: ValidationError) -> MalformedWebhookBody:
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return MalformedWebhookBody(f"malformed webhook body: {where}: {first['msg']}")


def read_json(model: type[M], raw: bytes) -> M:
    """The signed JSON body as `model`; 400 naming the first field that does not fit."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise _bad_body(exc) from None


def read_form(model: type[M], form: dict[str, str]) -> M:
    """The signed form body as `model`; 400 naming the first field that does not fit."""
    try:
        return model.model_validate(form)
    except ValidationError as exc:
        raise _bad_body(exc) from None
