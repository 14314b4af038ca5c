"""notify logs in to an SMTP relay that requires it (aiosmtpd with AUTH, on loopback): with the
right credentials the message is accepted under that login; a refused login waits (RetryLater:
it is our configuration, not the recipient); no login where one is required is refused; with
STARTTLS the relay's certificate is checked (against TSUNAGU_SMTP_CA_FILE, else the system's CAs)."""

import asyncio
import ssl
import subprocess

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from tsunagu_notify.adapters.channels.base import OutboundMessage, ProviderRejected, RetryLater
from tsunagu_notify.adapters.channels.email import EmailChannel, SmtpLogin
from tsunagu_shared.testing import free_port

USER, PASSWORD = "notify@relay", "relay-password"


class Relay:
    def __init__(self) -> None:
        self.received: list[tuple[str | None, bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append((session.auth_data.decode() if session.auth_data else None, envelope.content))
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)


@pytest.fixture
async def relay():
    handler, port = Relay(), free_port()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler, hostname="relay", authenticator=authenticate, auth_required=True,
                     auth_require_tls=False), "127.0.0.1", port)
    try:
        yield handler, port
    finally:
        server.close()
        await server.wait_closed()


def message(key: str) -> OutboundMessage:
    return OutboundMessage(idempotency_key=key, address="hanako@example.jp", subject="Interview",
                           body="Tomorrow at 10", sender_name="Acme")


async def test_email_logs_in_to_a_relay_that_requires_it(relay):
    handler, port = relay
    login = SmtpLogin(username=USER, password=PASSWORD, tls="none")
    await EmailChannel(host="127.0.0.1", port=port, login=login).send(message("k1"))
    [(logged_in_as, content)] = handler.received
    assert logged_in_as == USER and b"Tomorrow at 10" in content

    wrong = SmtpLogin(username=USER, password="not-it", tls="none")
    with pytest.raises(RetryLater, match="login refused"):
        await EmailChannel(host="127.0.0.1", port=port, login=wrong).send(message("k2"))
    with pytest.raises(ProviderRejected):  # 530: authentication required
        await EmailChannel(host="127.0.0.1", port=port, login=SmtpLogin(tls="none")).send(message("k3"))
    assert len(handler.received) == 1


@pytest.mark.parametrize("tls, use_tls, start_tls", [
    ("implicit", True, False), ("starttls", False, True), ("none", False, False), ("auto", False, None)])
def test_smtp_tls_modes_map_to_aiosmtplib(tls, use_tls, start_tls):
    options = SmtpLogin(tls=tls).options()
    assert (options["use_tls"], options["start_tls"]) == (use_tls, start_tls)
    assert "username" not in options


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1 (openssl), the relay's and the CA notify trusts."""
    key, cert = tmp_path / "relay.key", tmp_path / "relay.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=relay",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return key, cert


async def test_email_upgrades_with_starttls_then_logs_in(certificate):
    key, cert = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler, port = Relay(), free_port()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler, hostname="relay", authenticator=authenticate, auth_required=True,
                     require_starttls=True, tls_context=context), "127.0.0.1", port)
    try:
        secure = SmtpLogin(username=USER, password=PASSWORD, tls="starttls", ca_file=str(cert))
        await EmailChannel(host="127.0.0.1", port=port, login=secure).send(message("k1"))
        untrusted = SmtpLogin(username=USER, password=PASSWORD, tls="starttls")  # the system's CAs only
        with pytest.raises(RetryLater):
            await EmailChannel(host="127.0.0.1", port=port, login=untrusted).send(message("k2"))
    finally:
        server.close()
        await server.wait_closed()
    assert [login for login, _ in handler.received] == [USER]
