"""Settings of the notify service (environment, prefix TSUNAGU_) and the policy file."""

import tomllib
from pathlib import Path

from tsunagu_shared.settings import ServiceSettings

from tsunagu_notify.domain.policy_config import PolicyConfig

DEFAULT_POLICY_FILE = Path(__file__).resolve().parents[2] / "policy.toml"


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    http_port: int = 8005

    # Where providers live; scripts/stack.py points these at the emulators.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    twilio_base_url: str = "https://api.twilio.com"
    twilio_account_sid: str = "ACemulator"
    twilio_auth_token: str = "emulator-twilio-auth-token"
    twilio_from: str = "+815000000000"
    line_base_url: str = "https://api.line.me"
    line_channel_access_token: str = "emulator-line-token"
    line_channel_secret: str = "emulator-line-channel-secret"
    # Secret shared with the mail relay that posts bounces, and the key of unsubscribe links.
    email_webhook_secret: str = "dev-only-email-webhook-secret"
    unsubscribe_secret: str = "dev-only-unsubscribe-secret"
    # How providers reach our webhooks (signatures are computed over this URL).
    public_base_url: str = "http://127.0.0.1:8005"

    # Demo and test stacks only: admins may move the clock (PUT /admin/clock).
    clock_control: bool = False

    policy_file: str = str(DEFAULT_POLICY_FILE)
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

    def policy(self) -> PolicyConfig:
        """The policy of this environment: defaults, overridden by its table in the policy file."""
        path = Path(self.policy_file)
        if not path.is_file():
            return PolicyConfig()
        tables = tomllib.loads(path.read_text())
        return PolicyConfig.model_validate(tables.get(self.environment, {}))
