"""The Channel protocol every provider adapter implements, and its failures."""

from dataclasses import dataclass
from typing import Protocol

from tsunagu_shared.kafka.consumer import PermanentError, TransientError


@dataclass(frozen=True)
class OutboundMessage:
    """One rendered message for one person on one channel."""

    idempotency_key: str
    address: str
    subject: str
    body: str
    sender_name: str
    unsubscribe_url: str | None = None
    status_callback_url: str | None = None


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str | None
    already_accepted: bool = False


class RetryLater(TransientError):
    """The provider asked us to slow down (429) or is briefly unavailable."""

    def __init__(self, message: str, retry_after: float | None = None, *, code: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.code = code  # the provider's own code (SMTP reply, Twilio error code, HTTP status)


class ProviderRejected(PermanentError):
    """The provider refused the message for good (bad address, 4xx other than 429)."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class Channel(Protocol):
    name: str

    async def send(self, message: OutboundMessage) -> Receipt: ...

    async def close(self) -> None: ...


def retry_after_seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
