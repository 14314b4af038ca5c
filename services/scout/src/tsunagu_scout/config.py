"""Settings of the scout service (environment, prefix TSUNAGU_)."""

from tsunagu_shared.settings import ServiceSettings


class ScoutSettings(ServiceSettings):
    service_name: str = "scout"
    http_port: int = 8002
