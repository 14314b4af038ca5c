"""Settings of the events service (environment, prefix TSUNAGU_)."""

from tsunagu_shared.settings import ServiceSettings


class EventsSettings(ServiceSettings):
    service_name: str = "events"
    http_port: int = 8004
