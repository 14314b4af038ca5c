"""Settings of the profile service (environment, prefix TSUNAGU_)."""

from tsunagu_shared.settings import ServiceSettings


class ProfileSettings(ServiceSettings):
    service_name: str = "profile"
    http_port: int = 8001
