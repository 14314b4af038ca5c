"""LINE push through line-bot-sdk v3, with X-Line-Retry-Key (409 = already accepted)."""

import uuid

from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, Configuration, PushMessageRequest, TextMessage
from linebot.v3.messaging.exceptions import ApiException

from tsunagu_notify.adapters.channels.base import (
    OutboundMessage,
    ProviderRejected,
    Receipt,
    RetryLater,
    retry_after_seconds,
)

_RETRY_KEYS = uuid.UUID("0f5c2a8e-3b7d-4c1e-8a6f-9d2b4e7c1a30")


def retry_key(idempotency_key: str) -> str:
    """The same UUID for every attempt of one (intent, recipient, channel)."""
    return str(uuid.uuid5(_RETRY_KEYS, idempotency_key))


class LineChannel:
    name = "line"

    def __init__(self, *, base_url: str, access_token: str) -> None:
        self._api_client = AsyncApiClient(Configuration(host=base_url.rstrip("/"), access_token=access_token))
        self._api = AsyncMessagingApi(self._api_client)

    async def send(self, message: OutboundMessage) -> Receipt:
        request = PushMessageRequest(to=message.address, messages=[TextMessage(text=message.body[:5000])])
        try:
            response = await self._api.push_message_with_http_info(
                request, x_line_retry_key=retry_key(message.idempotency_key)
            )
        except ApiException as exc:
            headers = exc.headers or {}
            if exc.status == 409:
                return Receipt(provider_message_id=headers.get("x-line-accepted-request-id"), already_accepted=True)
            if exc.status == 429 or (exc.status or 500) >= 500:
                raise RetryLater(f"line {exc.status}", retry_after_seconds(headers.get("Retry-After")),
                                 code=str(exc.status)) from exc
            raise ProviderRejected(f"line {exc.status}: {exc.body}", code=str(exc.status)) from exc
        except OSError as exc:
            raise RetryLater(f"line unavailable: {exc}") from exc
        sent = response.data.sent_messages
        return Receipt(provider_message_id=sent[0].id if sent else None)

    async def close(self) -> None:
        await self._api_client.close()
