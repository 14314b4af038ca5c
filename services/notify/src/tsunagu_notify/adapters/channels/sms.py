"""SMS through the twilio SDK, its API base URL pointed at the configured host."""

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from tsunagu_notify.adapters.channels.base import OutboundMessage, ProviderRejected, Receipt, RetryLater


class SmsChannel:
    name = "sms"

    def __init__(self, *, account_sid: str, auth_token: str, from_number: str, base_url: str) -> None:
        self._http = AsyncTwilioHttpClient(timeout=10)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        # edge/region cannot redirect the SDK; the domain's base_url can.
        self._client.api.base_url = base_url.rstrip("/")
        self._from = from_number

    async def send(self, message: OutboundMessage) -> Receipt:
        kwargs = {"to": message.address, "from_": self._from, "body": message.body}
        if message.status_callback_url:
            kwargs["status_callback"] = message.status_callback_url
        try:
            created = await self._client.messages.create_async(**kwargs)
        except TwilioRestException as exc:
            code = str(exc.code) if exc.code is not None else str(exc.status)
            if exc.status == 429 or exc.status >= 500:
                raise RetryLater(f"twilio {exc.status}: {exc.msg}", code=code) from exc
            raise ProviderRejected(f"twilio {exc.status}: {exc.msg}", code=code) from exc
        except (TwilioException, OSError) as exc:
            raise RetryLater(f"twilio unavailable: {exc}") from exc
        return Receipt(provider_message_id=created.sid)

    async def close(self) -> None:
        await self._http.close()
