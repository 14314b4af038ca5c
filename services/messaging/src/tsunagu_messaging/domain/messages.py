"""Message content rules: length, no raw HTML, attachments, the per-sender rate window."""

import html
import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

ALLOWED_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}

# Control characters other than tab and newline never belong in a message.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class MessageRejected(ValueError):
    """The message or attachment breaks a content rule; the text names the field."""


class Message(BaseModel):
    message_id: str
    thread_id: str
    sender_role: Literal["candidate", "recruiter"]
    sender_id: str
    body: str
    attachment_ids: list[str] = []
    sent_at: datetime
    read_at: datetime | None = None
    erased: bool = False


def clean_body(text: str, *, max_chars: int) -> str:
    """The body as stored and returned: control characters dropped, HTML escaped.

    Escaping (rather than stripping tags) keeps what she wrote visible as text
    while no client can ever render it as markup."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n")).strip()
    if not text:
        raise MessageRejected("body: a message cannot be empty")
    if len(text) > max_chars:
        raise MessageRejected(f"body: at most {max_chars} characters (got {len(text)})")
    return html.escape(text, quote=True)


def check_attachment(*, content_type: str, data: bytes, max_bytes: int) -> None:
    """Only PDF, PNG and JPEG within the size limit; the bytes must match the declared type."""
    signatures = ALLOWED_TYPES.get(content_type)
    if signatures is None:
        allowed = ", ".join(sorted(ALLOWED_TYPES))
        raise MessageRejected(f"file: type {content_type!r} is not allowed (allowed: {allowed})")
    if not data:
        raise MessageRejected("file: the file is empty")
    if len(data) > max_bytes:
        raise MessageRejected(f"file: at most {max_bytes} bytes (got {len(data)})")
    if not data.startswith(signatures):
        raise MessageRejected(f"file: the content is not a {content_type} file")


def safe_filename(name: str | None) -> str:
    """A display name without paths or markup."""
    base = (name or "attachment").replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[^\w.\- ]", "_", base).strip() or "attachment"
    return base[:120]


def rate_window_start(now: datetime, *, window_seconds: int) -> int:
    """The start (epoch seconds) of the fixed window `now` falls in."""
    epoch = int(now.timestamp())
    return epoch - epoch % window_seconds
