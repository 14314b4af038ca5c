"""Settings of the notify service (environment, prefix TSUNAGU_) and the policy file."""

import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import field_validator
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.settings_contract import ADDRESS, DEVELOPMENT_ONLY, REQUIRED, SECRET

from tsunagu_notify.domain.policy_config import PolicyConfig

NOTIFY_ROLES = ("intake", "policy", "delivery", "views")


def shipped_policy() -> dict:
    """The policy file shipped with the service (package data, read from the installed package):
    environment name -> its table."""
    return tomllib.loads(resources.files("tsunagu_notify").joinpath("policy.toml").read_text(encoding="utf-8"))


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    http_port: int = 8005

    # Where providers live; scripts/stack.py points these at the emulators.
    smtp_host: Annotated[str, ADDRESS] = "127.0.0.1"
    smtp_port: int = 8025
    # Login to the relay when a username is set. `smtp_tls`: "starttls" (upgrade, required),
    # "implicit" (TLS from the first byte, port 465), "none", or "auto" (STARTTLS when the server
    # offers it: development's emulator does not). Production requires starttls or implicit.
    smtp_username: Annotated[str | None, SECRET] = None
    smtp_password: Annotated[str | None, SECRET] = None
    smtp_tls: Literal["auto", "starttls", "implicit", "none"] = "auto"
    # PEM file of the CA of the relay's certificate (a private relay); None trusts the system's CAs.
    smtp_ca_file: str | None = None
    smtp_from_address: Annotated[str, ADDRESS] = "notify@tsunagu.example"
    smtp_unsubscribe_mailto: Annotated[str, ADDRESS] = "unsubscribe@tsunagu.example"
    twilio_base_url: Annotated[str, ADDRESS] = "https://api.twilio.com"
    twilio_account_sid: Annotated[str, SECRET] = "ACemulator"
    twilio_auth_token: Annotated[str, SECRET] = "emulator-twilio-auth-token"
    twilio_from: Annotated[str, REQUIRED] = "+815000000000"
    line_base_url: Annotated[str, ADDRESS] = "https://api.line.me"
    line_channel_access_token: Annotated[str, SECRET] = "emulator-line-token"
    line_channel_secret: Annotated[str, SECRET] = "emulator-line-channel-secret"
    # Secret shared with the mail relay that posts bounces, and the key of unsubscribe links.
    email_webhook_secret: Annotated[str, SECRET] = "dev-only-email-webhook-secret"
    unsubscribe_secret: Annotated[str, SECRET] = "dev-only-unsubscribe-secret"
    # How providers reach our webhooks (signatures are computed over this URL).
    public_base_url: Annotated[str, ADDRESS] = "http://127.0.0.1:8005"

    # Demo and test stacks only: admins may move the clock (PUT /admin/clock).
    clock_control: Annotated[bool, DEVELOPMENT_ONLY] = False

    # An operator's policy file instead of the one shipped in the package (same layout).
    policy_file: str | None = None
    scheduler_poll_seconds: float = 1.0
    # The channel workers wait at most this long for new delivery requests (retries that fall due
    # are started at the next turn), and commit what they sent every `delivery_commit_ms`.
    delivery_poll_seconds: float = 0.1
    delivery_commit_ms: int = 100
    # The policy processor reads up to this many records at a time, and commits what it decided every
    # `policy_commit_ms` (one Kafka transaction per owned partition; a transaction costs a few round
    # trips whatever it holds, so fewer, larger ones go faster, and a decision waits at most this long).
    policy_batch_records: int = 2000
    policy_commit_ms: int = 100
    # Provider calls under way at the same time in this process, per provider.
    delivery_senders: int = 8
    # The parts of notify this process runs, comma-separated (docs/notify.md, "Process roles"):
    # "intake" (the domain topics, journey steps), "policy" (the policy processor), "delivery" (the
    # channel workers), "views" (the projector). Every process serves the HTTP API and relays its
    # outbox. The channel workers can run in pods of their own: `delivery` there, the rest elsewhere.
    notify_roles: str = ",".join(NOTIFY_ROLES)

    @field_validator("notify_roles")
    @classmethod
    def _known_roles(cls, value: str) -> str:
        roles = {role.strip() for role in value.split(",") if role.strip()}
        if not roles or roles - set(NOTIFY_ROLES):
            raise ValueError(f"a comma-separated list of {', '.join(NOTIFY_ROLES)}; got {value!r}")
        return ",".join(sorted(roles, key=NOTIFY_ROLES.index))

    def roles(self) -> frozenset[str]:
        return frozenset(self.notify_roles.split(","))

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.smtp_tls not in ("starttls", "implicit"):
            problems.append("TSUNAGU_SMTP_TLS: production sends over TLS (starttls or implicit)")
        if bool(self.smtp_username) != bool(self.smtp_password):
            problems.append("TSUNAGU_SMTP_USERNAME, TSUNAGU_SMTP_PASSWORD: set both or neither")
        try:
            self.policy()
        except (ValueError, OSError) as exc:  # no production table, a bad table, an unreadable file
            problems.append(f"TSUNAGU_POLICY_FILE: {exc}")
        return problems

    def policy(self) -> PolicyConfig:
        """The policy of this environment: defaults, overridden by its table in the policy file.
        Production runs only on a table written for it: a missing one is an error, not the defaults."""
        tables = tomllib.loads(Path(self.policy_file).read_text()) if self.policy_file else shipped_policy()
        if self.environment == "production" and self.environment not in tables:
            raise ValueError(f"the policy file has no [{self.environment}] table")
        return PolicyConfig.model_validate(tables.get(self.environment, {}))
