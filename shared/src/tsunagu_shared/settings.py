"""Settings common to every service, read from the environment (prefix TSUNAGU_).

Each service subclasses ServiceSettings and sets its own defaults (name, port,
database). Nothing here is instantiated at import time.
"""

import json
from typing import Annotated, Any

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tsunagu_shared.settings_contract import (
    ADDRESS,
    PRODUCTION,
    REQUIRED,
    SECRET,
    ProductionSettingsRefused,
    production_problems,
)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TSUNAGU_", extra="ignore")

    service_name: str = "tsunagu"  # names its Kafka client, consumer groups and default database
    environment: str = "local"  # `production` turns on the contract of docs/settings.md; names notify's policy table
    http_host: str = "127.0.0.1"  # 0.0.0.0 in a container
    http_port: int = 8000
    log_level: str = "INFO"

    kafka_bootstrap: Annotated[str, ADDRESS] = "127.0.0.1:19092"
    # PLAINTEXT locally; SASL_SSL with SCRAM-SHA-512 against the production (Strimzi) cluster.
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None  # SCRAM-SHA-512 against Strimzi
    kafka_sasl_username: str | None = None  # the KafkaUser, named after the service
    kafka_sasl_password: Annotated[str | None, SECRET] = None
    # PEM file of the CA that signed the brokers' certificates (SSL, SASL_SSL); None trusts the system's CAs.
    kafka_ssl_cafile: str | None = None
    # Create missing topics at start (development); off in production, where KafkaTopic resources own them.
    kafka_create_topics: Annotated[bool, REQUIRED] = True
    # Partitions of the topics created at start; None takes the registry's (tests use fewer).
    topic_partitions: int | None = None
    # Prepended to every topic name, so two stacks (or two test runs) can share a broker.
    topic_prefix: str = ""
    # carries the database user's password: a Secret in production
    mongo_url: Annotated[str, SECRET, ADDRESS] = "mongodb://127.0.0.1:27027/"
    mongo_db: str = ""  # empty: tsunagu_<service>
    # The read side (search and lists): OpenSearch; index names carry the prefix, as topics do.
    opensearch_url: str = "http://127.0.0.1:19200"
    search_index_prefix: str = ""
    # one node locally: no replicas; production sets what its cluster holds
    search_replicas: int = 0
    search_timeout_seconds: float = 5.0  # a slower search answers 503
    # the CA of an https OpenSearch URL whose certificates the operator generated (docs/search.md)
    opensearch_ca_file: str | None = None

    # HS256 key of the tokens, at least 32 bytes
    jwt_secret: Annotated[str, SECRET] = Field(default="dev-only-secret-change-me-32-bytes!!", min_length=32)
    jwt_issuer: str = "tsunagu"  # `iss` and `aud` every token must carry
    jwt_audience: str = "tsunagu"
    # The identity provider whose RS256/ES256 tokens people sign in with (OpenID Connect issuer URL);
    # None accepts only the shared-secret tokens, which production keeps for service-to-service calls.
    oidc_issuer: Annotated[str | None, ADDRESS] = None
    # Taken from the issuer's discovery document when unset.
    oidc_jwks_url: Annotated[str | None, ADDRESS] = None
    oidc_jwks_cache_seconds: float = 300.0
    # A key id not in the cache fetches the keys again, at most this often (forged ids cannot flood the provider).
    oidc_jwks_min_refresh_seconds: float = 10.0
    # Roles whose shared-secret (HS256) tokens are accepted; production keeps only ["service"].
    shared_secret_roles: Annotated[list[str], REQUIRED] = ["candidate", "recruiter", "admin", "service"]

    # The largest request body a route takes unless it declares its own (uploads do): 413 above it.
    max_body_bytes: int = 64 * 1024
    # Phone numbers written without a country code are read as numbers of this region (ISO 3166).
    default_phone_region: str = "JP"

    outbox_poll_seconds: float = 0.5  # how often the outbox relay looks for events to publish
    # A marker's event id that never appeared in its document is dropped this long after it was
    # marked (a write that never happened); longer than any write can take.
    outbox_stale_marker_seconds: float = 300.0
    consumer_max_attempts: int = 3  # then the event goes to the group's dead-letter topic
    # Larger events are dead-lettered unread (an event carries ids and changed fields, never files).
    max_event_bytes: int = 256 * 1024

    # Traces go over OTLP/HTTP to this collector (e.g. http://otel-collector:4318) when set; the
    # standard OTEL_EXPORTER_OTLP_ENDPOINT is read too. Unset: nothing is exported.
    otlp_endpoint: str | None = Field(None, validation_alias=AliasChoices(
        "otlp_endpoint", "TSUNAGU_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"))
    # How often the outbox backlog and the consumer lag are measured for /metrics.
    metrics_probe_seconds: float = 15.0

    @field_validator("shared_secret_roles", mode="before")
    @classmethod
    def _roles(cls, value: object) -> object:
        """A list, or the text of one: JSON (`["service"]`) or comma-separated (`service,admin`)."""
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [r.strip() for r in text.split(",") if r.strip()]
        return value

    @model_validator(mode="after")
    def _production_contract(self) -> "ServiceSettings":
        """In production, refuse development secrets and local addresses (docs/settings.md)."""
        if self.environment == PRODUCTION:
            problems = self.production_problems()
            if problems:
                raise ProductionSettingsRefused(problems)
        return self

    def production_problems(self) -> list[str]:
        """Why these settings cannot run in production (empty: they can). Services add their own rules."""
        problems = production_problems(self)
        if self.kafka_sasl_mechanism and not (self.kafka_sasl_username and self.kafka_sasl_password):
            problems.append("TSUNAGU_KAFKA_SASL_USERNAME, TSUNAGU_KAFKA_SASL_PASSWORD: required with a SASL mechanism")
        return problems

    def kafka_client_options(self) -> dict[str, Any]:
        """Connection options for every aiokafka client (producer, consumer, admin)."""
        options: dict[str, Any] = {"security_protocol": self.kafka_security_protocol}
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
