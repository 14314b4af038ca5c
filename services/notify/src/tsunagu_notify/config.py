"""Settings of the notify service (environment, prefix TSUNAGU_)."""

from tsunagu_shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    http_port: int = 8005
