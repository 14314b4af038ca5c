"""Settings of the messaging service (environment, prefix TSUNAGU_)."""

from tsunagu_shared.settings import ServiceSettings


class MessagingSettings(ServiceSettings):
    service_name: str = "messaging"
    http_port: int = 8003
