"""Provider webhooks: Twilio status and inbound SMS, LINE events, email bounces (unsubscribe links:
entrypoints/unsubscribe.py).

Each is authenticated by the provider's signature (403 and no change when forged), read into a strict
model (400 naming the field when a signed body is malformed: webhook_bodies.py) and deduplicated by the
provider's own id (Twilio MessageSid + status, LINE webhookEventId)."""

import hashlib
import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from linebot.v3.webhook import SignatureValidator
from twilio.request_validator import RequestValidator

from tsunagu_notify.entrypoints.webhook_bodies import (
    EmailBounce,
    LineWebhook,
    TwilioInbound,
    TwilioStatus,
    read_form,
    read_json,
)
from tsunagu_notify.handlers.provider_signals import ProviderSignals

router = APIRouter(tags=["webhooks"])


def get_signals(request: Request) -> ProviderSignals:
    return request.app.state.container.signals


Signals = Annotated[ProviderSignals, Depends(get_signals)]


class ForgedSignature(Exception):
    """The body is not signed by the provider it claims to come from: nothing changes."""


async def _twilio_form(request: Request, signature: str | None) -> dict[str, str]:
    settings = request.app.state.settings
    form = {k: str(v) for k, v in (await request.form()).items()}
    url = settings.public_base_url.rstrip("/") + request.url.path
    if not signature or not RequestValidator(settings.twilio_auth_token).validate(url, form, signature):
        raise ForgedSignature()
    return form


@router.post("/webhooks/twilio/status")
async def twilio_status(request: Request, signals: Signals,
                        x_twilio_signature: Annotated[str | None, Header()] = None) -> dict:
    """Twilio status callback: delivered / failed / undelivered for a message we sent."""
    callback = read_form(TwilioStatus, await _twilio_form(request, x_twilio_signature))
    await signals.status_callback(callback.MessageSid, callback.MessageStatus)
    return {"status": "ok"}


@router.post("/webhooks/twilio/inbound")
async def twilio_inbound(request: Request, signals: Signals,
                         x_twilio_signature: Annotated[str | None, Header()] = None) -> dict:
    """An SMS she sent us: STOP (or 停止, 配信停止, ストップ …) turns SMS off for every company."""
    sms = read_form(TwilioInbound, await _twilio_form(request, x_twilio_signature))
    return {"status": await signals.inbound_sms(sms.MessageSid, sms.From, sms.Body)}


@router.post("/webhooks/line")
async def line_webhook(request: Request, signals: Signals,
                       x_line_signature: Annotated[str | None, Header()] = None) -> dict:
    """LINE webhook: follow turns LINE on for a linked person (and starts her welcome journey), unfollow
    turns it off (and stops it); accountLink links her account when its nonce is ours, unused and unexpired."""
    body = await request.body()
    secret = request.app.state.settings.line_channel_secret
    if not x_line_signature or not _line_signed(secret, body, x_line_signature):
        raise ForgedSignature()
    for event in read_json(LineWebhook, body).events:
        await signals.line_event(event.model_dump(exclude_none=True))
    return {"status": "ok"}


def _line_signed(secret: str, body: bytes, signature: str) -> bool:
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return False  # LINE signs UTF-8 JSON: other bytes are not from LINE
    return SignatureValidator(secret).validate(text, signature)


@router.post("/webhooks/email/bounce")
async def email_bounce(request: Request, signals: Signals,
                       x_tsunagu_signature: Annotated[str | None, Header()] = None) -> dict:
    """A bounce from the mail relay ({"id", "email", "type": "hard"|"soft"}, each a string), signed with
    HMAC-SHA256. A hard bounce turns email off for every company; a malformed body is answered 400."""
    body = await request.body()
    secret = request.app.state.settings.email_webhook_secret.encode()
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    if not x_tsunagu_signature or not hmac.compare_digest(expected.encode(), x_tsunagu_signature.encode("latin-1")):
        raise ForgedSignature()
    bounce = read_json(EmailBounce, body)
    return {"status": await signals.bounce(bounce.id, bounce.email, bounce.type)}
