"""Settings of the messaging service (environment, prefix TSUNAGU_)."""

from typing import Annotated

from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.settings_contract import ADDRESS


class MessagingSettings(ServiceSettings):
    service_name: str = "messaging"
    http_port: int = 8003

    # The profile service's API (preferred contact channel answers go there).
    profile_url: Annotated[str, ADDRESS] = "http://127.0.0.1:8001"
    profile_timeout_seconds: float = 3.0

    message_max_chars: int = 5000
    # Messages one sender may write in one window, across every thread and replica.
    rate_limit_messages: int = 30
    rate_limit_window_seconds: int = 60

    # The candidate's view of a thread (linked from interview-time reminders): <base>/<thread id>.
    thread_base_url: Annotated[str, ADDRESS] = "https://tsunagu.example/threads"

    # How often open offers past their deadline are looked for (OfferLapsed).
    offer_lapse_poll_seconds: float = 30.0

    attachment_max_bytes: int = 5 * 1024 * 1024
    attachments_per_message: int = 5
