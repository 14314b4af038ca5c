"""Provider webhooks: Twilio status and inbound SMS, LINE events, email bounces (unsubscribe links:
entrypoints/unsubscribe.py).

Each is authenticated by the provider's signature (403 and no change when forged) and
deduplicated by the provider's own id (Twilio MessageSid + status, LINE webhookEventId)."""

import hashlib
import hmac
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from linebot.v3.webhook import SignatureValidator
from twilio.request_validator import RequestValidator

from tsunagu_notify.handlers.provider_signals import ProviderSignals

router = APIRouter(tags=["webhooks"])


def get_signals(request: Request) -> ProviderSignals:
    return request.app.state.container.signals


Signals = Annotated[ProviderSignals, Depends(get_signals)]


def _forbidden() -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail="invalid signature")


async def _twilio_form(request: Request, signature: str | None) -> dict[str, str]:
    settings = request.app.state.settings
    form = {k: str(v) for k, v in (await request.form()).items()}
    url = settings.public_base_url.rstrip("/") + request.url.path
    if not signature or not RequestValidator(settings.twilio_auth_token).validate(url, form, signature):
        raise _forbidden()
    return form


@router.post("/webhooks/twilio/status")
async def twilio_status(request: Request, signals: Signals,
                        x_twilio_signature: Annotated[str | None, Header()] = None) -> dict:
    """Twilio status callback: delivered / failed / undelivered for a message we sent."""
    form = await _twilio_form(request, x_twilio_signature)
    await signals.status_callback(form.get("MessageSid", ""), form.get("MessageStatus", ""))
    return {"status": "ok"}


@router.post("/webhooks/twilio/inbound")
async def twilio_inbound(request: Request, signals: Signals,
                         x_twilio_signature: Annotated[str | None, Header()] = None) -> dict:
    """An SMS she sent us: STOP (or 停止, 配信停止, ストップ …) turns SMS off for every company."""
    form = await _twilio_form(request, x_twilio_signature)
    return {"status": await signals.inbound_sms(form.get("MessageSid", ""), form.get("From", ""),
                                                form.get("Body", ""))}


@router.post("/webhooks/line")
async def line_webhook(request: Request, signals: Signals,
                       x_line_signature: Annotated[str | None, Header()] = None) -> dict:
    """LINE webhook: follow turns LINE on for a linked person (and starts her welcome journey), unfollow
    turns it off (and stops it); accountLink links her account when its nonce is ours, unused and unexpired."""
    body = await request.body()
    secret = request.app.state.settings.line_channel_secret
    if not x_line_signature or not SignatureValidator(secret).validate(body.decode(), x_line_signature):
        raise _forbidden()
    for event in json.loads(body).get("events", []):
        await signals.line_event(event)
    return {"status": "ok"}


@router.post("/webhooks/email/bounce")
async def email_bounce(request: Request, signals: Signals,
                       x_tsunagu_signature: Annotated[str | None, Header()] = None) -> dict:
    """A bounce from the mail relay ({"id", "email", "type": "hard"|"soft"}), signed with HMAC-SHA256.

    A hard bounce turns email off for every company."""
    body = await request.body()
    secret = request.app.state.settings.email_webhook_secret.encode()
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    if not x_tsunagu_signature or not hmac.compare_digest(expected, x_tsunagu_signature):
        raise _forbidden()
    bounce = json.loads(body)
    return {"status": await signals.bounce(bounce.get("id"), bounce.get("email"), bounce.get("type"))}
