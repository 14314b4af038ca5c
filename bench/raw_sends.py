"""The baseline of the delivery benchmark: N messages sent straight to a provider emulator with the
provider's own client library and a fixed concurrency, from a process of its own (as notify is, so
the emulator's process does the same work in both). Prints JSON: {"sent": n, "seconds": s}.

    python bench/raw_sends.py email|line|sms --count N --concurrency C --smtp-port P --line-url U --twilio-url U
"""

import argparse
import asyncio
import json
import time
import uuid
from email.message import EmailMessage

BODY = ("Fault株式会社 (Tsunagu) より: 面接の日時が確定しました。7/1 10:00。配信停止: https://tsunagu.example/u/"
        + "x" * 40)


async def email_sender(args):
    import aiosmtplib

    async def send(n: int) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "notify@tsunagu.example", f"r{n}@example.jp", "面接"
        message["Message-ID"] = f"<{uuid.uuid4().hex}@tsunagu.example>"
        message.set_content(BODY)
        await aiosmtplib.send(message, hostname="127.0.0.1", port=args.smtp_port, timeout=10)
    return send, None


async def line_sender(args):
    from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, Configuration, PushMessageRequest, TextMessage

    client = AsyncApiClient(Configuration(host=args.line_url, access_token="emulator-line-token"))
    api = AsyncMessagingApi(client)

    async def send(n: int) -> None:
        await api.push_message_with_http_info(
            PushMessageRequest(to=f"Ur{n}", messages=[TextMessage(text=BODY)]), x_line_retry_key=str(uuid.uuid4()))
    return send, client.close


async def sms_sender(args):
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.rest import Client

    http = AsyncTwilioHttpClient(timeout=10)
    client = Client("ACemulator", "emulator-twilio-auth-token", http_client=http)
    client.api.base_url = args.twilio_url.rstrip("/")

    async def send(n: int) -> None:
        await client.messages.create_async(to=f"+8190{n:08d}", from_="+815000000000", body=BODY)
    return send, http.close


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("channel", choices=["email", "line", "sms"])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--smtp-port", type=int, default=0)
    parser.add_argument("--line-url", default="")
    parser.add_argument("--twilio-url", default="")
    args = parser.parse_args()
    send, close = await {"email": email_sender, "line": line_sender, "sms": sms_sender}[args.channel](args)
    await send(-1)  # connections and imports warm before the clock starts
    slots = asyncio.Semaphore(args.concurrency)

    async def one(n: int) -> None:
        async with slots:
            await send(n)

    started = time.monotonic()
    await asyncio.gather(*(one(n) for n in range(args.count)))
    seconds = time.monotonic() - started
    if close is not None:
        await close()
    print(json.dumps({"sent": args.count, "seconds": seconds}))


if __name__ == "__main__":
    asyncio.run(main())
