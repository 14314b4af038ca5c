"""The production contract of the settings: with TSUNAGU_ENVIRONMENT=production a service's
settings are refused while a secret is a development default or an address is local, and the
error names each setting."""

import pytest
from pydantic import ValidationError
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.settings_contract import hosts, local_or_placeholder

READY = {
    "environment": "production",
    "kafka_bootstrap": "tsunagu-kafka-kafka-bootstrap:9093",
    "kafka_create_topics": False,
    "mongo_url": "mongodb://probe:pw@mongo-0.mongo-svc:27017,mongo-1.mongo-svc:27017/?replicaSet=rs0",
    "jwt_secret": "a-production-secret-of-at-least-32-bytes",
    # people sign in through the identity provider; the shared secret signs the services' calls
    "shared_secret_roles": ["service"],
    "oidc_issuer": "https://login.tsunagu.jp",
}


class ProbeSettings(ServiceSettings):
    service_name: str = "probe"


def refused(**values) -> str:
    with pytest.raises(ValidationError) as caught:
        ProbeSettings(**values)
    return str(caught.value)


def test_production_settings_with_real_values_start():
    assert ProbeSettings(**READY).environment == "production"
    assert ProbeSettings().environment != "production"  # development keeps its defaults


def test_every_development_default_is_named():
    error = refused(environment="production")
    for name in ("TSUNAGU_JWT_SECRET", "TSUNAGU_MONGO_URL", "TSUNAGU_KAFKA_BOOTSTRAP", "TSUNAGU_KAFKA_CREATE_TOPICS"):
        assert name in error, error
    assert "TSUNAGU_HTTP_PORT" not in error


@pytest.mark.parametrize("setting, value, named", [
    ("kafka_bootstrap", "broker-0:9093,127.0.0.1:9093", "TSUNAGU_KAFKA_BOOTSTRAP"),
    ("kafka_bootstrap", "localhost:9092", "TSUNAGU_KAFKA_BOOTSTRAP"),
    ("mongo_url", "mongodb://u:p@[::1]:27017/", "TSUNAGU_MONGO_URL"),
    ("mongo_url", "mongodb+srv://u:p@cluster0.tsunagu.example/", "TSUNAGU_MONGO_URL"),
    ("jwt_secret", ServiceSettings.model_fields["jwt_secret"].default, "TSUNAGU_JWT_SECRET"),
    ("kafka_sasl_password", "", "TSUNAGU_KAFKA_SASL_PASSWORD"),
])
def test_one_bad_setting_is_refused_by_name(setting, value, named):
    error = refused(**{**READY, setting: value})
    assert named in error and error.count("TSUNAGU_") == 1, error


def test_a_sasl_mechanism_needs_its_credentials():
    error = refused(**{**READY, "kafka_sasl_mechanism": "SCRAM-SHA-512"})
    assert "TSUNAGU_KAFKA_SASL_USERNAME" in error
    assert ProbeSettings(**READY, kafka_sasl_mechanism="SCRAM-SHA-512", kafka_sasl_username="probe",
                         kafka_sasl_password="from-the-kafka-user-secret")


def test_the_contract_reads_the_environment(monkeypatch):
    monkeypatch.setenv("TSUNAGU_ENVIRONMENT", "production")
    monkeypatch.setenv("TSUNAGU_MONGO_URL", READY["mongo_url"])
    with pytest.raises(ValidationError, match="TSUNAGU_JWT_SECRET"):
        ProbeSettings()


@pytest.mark.parametrize("address, expected", [
    ("h1:9092,h2:9093", ["h1", "h2"]),
    ("mongodb://user:p%40ss@a.svc:27017,b.svc/db?replicaSet=rs0&authSource=admin", ["a.svc", "b.svc"]),
    ("https://api.twilio.com", ["api.twilio.com"]),
    ("http://[::1]:8080/x", ["::1"]),
    ("notify@tsunagu.example", ["tsunagu.example"]),
])
def test_hosts_of_an_address(address, expected):
    assert hosts(address) == expected


@pytest.mark.parametrize("host, local", [
    ("localhost", True), ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("0.0.0.0", True),
    ("tsunagu.example", True), ("example.com", True), ("x.invalid", True), ("app.localhost", True),
    ("profile", False), ("profile.tsunagu.svc.cluster.local", False), ("10.0.0.5", False), ("api.line.me", False),
])
def test_local_or_placeholder_hosts(host, local):
    assert local_or_placeholder(host) is local
