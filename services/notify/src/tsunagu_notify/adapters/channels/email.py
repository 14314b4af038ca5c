"""Email over SMTP (aiosmtplib), with a From naming the company and List-Unsubscribe headers."""

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from hashlib import sha256

import aiosmtplib

from tsunagu_notify.adapters.channels.base import OutboundMessage, ProviderRejected, Receipt, RetryLater


@dataclass(frozen=True)
class SmtpLogin:
    """How the channel reaches the relay: TLS mode and, when the relay wants it, a login."""

    username: str | None = None
    password: str | None = None
    # "starttls" (upgrade, required), "implicit" (TLS from the first byte), "none", "auto" (STARTTLS if offered)
    tls: str = "auto"
    # PEM of the CA that signed the relay's certificate; None trusts the system's CAs
    ca_file: str | None = None

    def options(self) -> dict:
        """aiosmtplib.send's keyword arguments for this login."""
        options: dict = {"use_tls": self.tls == "implicit",
                         "start_tls": {"starttls": True, "implicit": False, "none": False}.get(self.tls)}
        if self.ca_file:
            options["cert_bundle"] = self.ca_file
        if self.username:
            options.update(username=self.username, password=self.password)
        return options


class EmailChannel:
    name = "email"

    def __init__(self, *, host: str, port: int, from_address: str = "notify@tsunagu.example",
                 unsubscribe_mailto: str = "unsubscribe@tsunagu.example", login: SmtpLogin = SmtpLogin()) -> None:
        self._host, self._port = host, port
        self._from = from_address
        self._mailto = unsubscribe_mailto
        self._login = login

    @classmethod
    def from_settings(cls, settings) -> "EmailChannel":
        return cls(host=settings.smtp_host, port=settings.smtp_port, from_address=settings.smtp_from_address,
                   unsubscribe_mailto=settings.smtp_unsubscribe_mailto,
                   login=SmtpLogin(username=settings.smtp_username, password=settings.smtp_password,
                                   tls=settings.smtp_tls, ca_file=settings.smtp_ca_file))

    def build(self, message: OutboundMessage) -> EmailMessage:
        """The MIME message: company named in From, one-click unsubscribe (RFC 8058)."""
        email = EmailMessage()
        user, domain = self._from.split("@")
        email["From"] = Address(display_name=message.sender_name, username=user, domain=domain)
        email["To"] = message.address
        email["Subject"] = message.subject
        # One Message-ID per delivery, the same on every attempt: SMTP takes no idempotency key, so a
        # message sent again after a crash is a second transaction, but mailbox providers recognise
        # (and most drop) a message whose Message-ID they already hold
        email["Message-ID"] = f"<{sha256(message.idempotency_key.encode()).hexdigest()[:40]}@{domain}>"
        email["X-Tsunagu-Idempotency-Key"] = message.idempotency_key
        if message.unsubscribe_url:
            email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>, <mailto:{self._mailto}>"
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email.set_content(message.body)
        return email

    async def send(self, message: OutboundMessage) -> Receipt:
        email = self.build(message)
        try:
            await aiosmtplib.send(email, hostname=self._host, port=self._port, timeout=10, **self._login.options())
        except aiosmtplib.SMTPAuthenticationError as exc:
            # our credentials, not the recipient: the delivery waits for the operator's fix
            raise RetryLater(f"smtp login refused: {exc.code} {exc.message}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 400 <= exc.code < 500:
                raise RetryLater(f"smtp {exc.code}: {exc.message}", code=str(exc.code)) from exc
            raise ProviderRejected(f"smtp {exc.code}: {exc.message}", code=str(exc.code)) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise RetryLater(f"smtp unavailable: {exc}") from exc
        return Receipt(provider_message_id=email["Message-ID"])

    async def close(self) -> None:
        return None
