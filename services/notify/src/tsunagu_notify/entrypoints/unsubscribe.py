"""The unsubscribe link of every email: a confirmation page (GET) and the opt-out itself (POST).

GET never changes anything (mail scanners open links), it shows a small page in her language
with one button; POST is RFC 8058's one-click (`List-Unsubscribe=One-Click`, sent by the mail
client) and the page's button. Both are idempotent: a second POST changes nothing and answers
the same. No login: the signed token names her and the channel."""

from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response

from tsunagu_notify.handlers.provider_signals import ProviderSignals

router = APIRouter(tags=["webhooks"])

CHANNEL_NAMES = {"ja": {"email": "メール", "sms": "SMS", "line": "LINE"},
                 "en": {"email": "email", "sms": "SMS", "line": "LINE"}}
TEXTS = {
    "ja": {
        "title": "配信停止",
        "ask": "Tsunagu からの{channel}による連絡を、すべての企業について停止しますか？",
        "button": "配信を停止する",
        "done": "{channel}による連絡を停止しました。どの企業からも、この方法では届きません。",
        "again": "再開するには、Tsunagu のプロフィールの連絡設定で、ご自身でもう一度同意してください。",
        "forged": "このリンクは無効です。メールに記載のリンクをそのまま開いてください。",
    },
    "en": {
        "title": "Unsubscribe",
        "ask": "Stop all contact from Tsunagu by {channel}, from every company?",
        "button": "Unsubscribe",
        "done": "You are unsubscribed from {channel}: no company will reach you this way.",
        "again": "To hear from us again, consent once more yourself in the contact settings of your Tsunagu profile.",
        "forged": "This link is not valid. Open the link from the email as it is.",
    },
}


def get_signals(request: Request) -> ProviderSignals:
    return request.app.state.container.signals


Signals = Annotated[ProviderSignals, Depends(get_signals)]


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, responses={
    403: {"description": "the link's signature does not hold: a page saying so", "content": {"text/html": {}}}})
async def unsubscribe_page(token: str, request: Request, signals: Signals) -> Response:
    """The page the link in every email opens: what stops, and one button (changes nothing by itself)."""
    target = request.app.state.container.tokens.read(token)
    if target is None:
        return _page("ja", "forged", status.HTTP_403_FORBIDDEN)
    recipient_id, channel = target
    locale = await _locale(signals, recipient_id)
    if await signals.opted_out_of(recipient_id, channel):
        return _page(locale, "done", channel=channel)
    return _page(locale, "ask", channel=channel, action=str(request.url.path))


@router.post("/unsubscribe/{token}")
async def unsubscribe(token: str, request: Request, signals: Signals,
                      accept: Annotated[str | None, Header()] = None) -> Response:
    """One-click unsubscribe (RFC 8058) and the page's button: the channel off for every company.
    Answers the page to a browser, JSON otherwise; the same on every repeat."""
    target = request.app.state.container.tokens.read(token)
    browser = "text/html" in (accept or "")
    if target is None:
        if browser:
            return _page("ja", "forged", status.HTTP_403_FORBIDDEN)
        return JSONResponse({"detail": "invalid signature"}, status_code=status.HTTP_403_FORBIDDEN)
    recipient_id, channel = target
    await signals.opt_out(recipient_id, channel, "unsubscribe_link", confirm=False)
    if browser:
        return _page(await _locale(signals, recipient_id), "done", channel=channel)
    return JSONResponse({"status": "unsubscribed", "channel": channel})


async def _locale(signals: ProviderSignals, recipient_id: str) -> str:
    locale = await signals.locale_of(recipient_id)
    return locale if locale in TEXTS else "ja"


def _page(locale: str, what: str, status_code: int = 200, *, channel: str = "email",
          action: str | None = None) -> HTMLResponse:
    texts = TEXTS[locale]
    name = CHANNEL_NAMES[locale].get(channel, channel)
    body = f"<p>{escape(texts[what].format(channel=name))}</p>"
    if action is not None:
        body += (f'<form method="post" action="{escape(action)}">'
                 f'<input type="hidden" name="List-Unsubscribe" value="One-Click">'
                 f'<button type="submit">{escape(texts["button"])}</button></form>')
    if what == "done":
        body += f"<p>{escape(texts['again'])}</p>"
    html = (f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="robots" content="noindex"><title>{escape(texts["title"])} — Tsunagu</title></head>'
            f'<body><main><h1>{escape(texts["title"])}</h1>{body}</main></body></html>')
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
