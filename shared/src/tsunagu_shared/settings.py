"""Settings common to every service, read from the environment (prefix TSUNAGU_).

Each service subclasses ServiceSettings and sets its own defaults (name, port,
database). Nothing here is instantiated at import time.
"""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TSUNAGU_", extra="ignore")

    service_name: str = "tsunagu"
    environment: str = "local"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"

    kafka_bootstrap: str = "127.0.0.1:19092"
    # Prepended to every topic name, so two stacks (or two test runs) can share a broker.
    topic_prefix: str = ""
    mongo_url: str = "mongodb://127.0.0.1:27027/"
    mongo_db: str = ""

    jwt_secret: str = Field(default="dev-only-secret-change-me-32-bytes!!", min_length=32)
    jwt_issuer: str = "tsunagu"
    jwt_audience: str = "tsunagu"

    outbox_poll_seconds: float = 0.5
    consumer_max_attempts: int = 3

    @property
    def database_name(self) -> str:
        return self.mongo_db or f"tsunagu_{self.service_name}"
