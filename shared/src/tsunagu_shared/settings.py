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
    # PLAINTEXT locally; SASL_SSL with SCRAM-SHA-512 against the production (Strimzi) cluster.
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    # PEM file of the CA that signed the brokers' certificates (SSL, SASL_SSL); None trusts the system's CAs.
    kafka_ssl_cafile: str | None = None
    # Create missing topics at start (development); off in production, where KafkaTopic resources own them.
    kafka_create_topics: bool = True
    # Partitions of the topics created at start; None takes the registry's (tests use fewer).
    topic_partitions: int | None = None
    # Prepended to every topic name, so two stacks (or two test runs) can share a broker.
    topic_prefix: str = ""
    mongo_url: str = "mongodb://127.0.0.1:27027/"
    mongo_db: str = ""
    # The read side (search and lists): OpenSearch; index names carry the prefix, as topics do.
    opensearch_url: str = "http://127.0.0.1:19200"
    search_index_prefix: str = ""
    # one node locally: no replicas; production sets what its cluster holds
    search_replicas: int = 0
    search_timeout_seconds: float = 5.0

    jwt_secret: str = Field(default="dev-only-secret-change-me-32-bytes!!", min_length=32)
    jwt_issuer: str = "tsunagu"
    jwt_audience: str = "tsunagu"

    # The largest request body a route takes unless it declares its own (uploads do): 413 above it.
    max_body_bytes: int = 64 * 1024
    # Phone numbers written without a country code are read as numbers of this region (ISO 3166).
    default_phone_region: str = "JP"

    outbox_poll_seconds: float = 0.5
    # A marker's event id that never appeared in its document is dropped this long after it was
    # marked (a write that never happened); longer than any write can take.
    outbox_stale_marker_seconds: float = 300.0
    consumer_max_attempts: int = 3
    # Larger events are dead-lettered unread (an event carries ids and changed fields, never files).
    max_event_bytes: int = 256 * 1024

    def kafka_client_options(self) -> dict:
        """Connection options for every aiokafka client (producer, consumer, admin)."""
        options: dict = {"security_protocol": self.kafka_security_protocol}
        if self.kafka_sasl_mechanism:
            options.update(
                sasl_mechanism=self.kafka_sasl_mechanism,
                sasl_plain_username=self.kafka_sasl_username,
                sasl_plain_password=self.kafka_sasl_password,
            )
        if "SSL" in self.kafka_security_protocol:
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(cafile=self.kafka_ssl_cafile)
        return options

    @property
    def database_name(self) -> str:
        return self.mongo_db or f"tsunagu_{self.service_name}"
