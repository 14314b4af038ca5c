"""The settings contract, against the rendered production overlay: every setting a service's
settings class marks as needed in production (secrets, addresses, values whose default only fits
development) is provided to its container, secrets only through a Secret reference; every
TSUNAGU_ variable given is a setting the service reads; the settings built from what the
overlay gives pass the production contract; messaging's profile URL is the profile Service;
no secret value is committed."""

import sys
from typing import get_args

import pytest
from pydantic import ValidationError
from tsunagu_console.app import ConsoleSettings
from tsunagu_events.config import EventsSettings
from tsunagu_messaging.config import MessagingSettings
from tsunagu_notify.config import NotifySettings
from tsunagu_profile.config import ProfileSettings
from tsunagu_scout.config import ScoutSettings
from tsunagu_shared.settings_contract import ADDRESS, REQUIRED, SECRET, env_name, kinds

SETTINGS = {"profile": ProfileSettings, "scout": ScoutSettings, "messaging": MessagingSettings,
            "events": EventsSettings, "notify": NotifySettings, "console": ConsoleSettings}


def provided(docs: list[dict], service: str, kube) -> dict[str, dict]:
    """Environment variable -> where its value comes from: {"configmap": value}, {"value": ...} or
    {"secret": (name, key)}, for the service's container as the overlay renders it."""
    (container,) = kube.one(docs, "Deployment", service)["spec"]["template"]["spec"]["containers"]
    env: dict[str, dict] = {}
    for source in container.get("envFrom", []):
        data = kube.one(docs, "ConfigMap", source["configMapRef"]["name"])["data"]
        env.update({name: {"configmap": value} for name, value in data.items()})
    for entry in container.get("env", []):
        if "valueFrom" in entry:
            ref = entry["valueFrom"]["secretKeyRef"]
            env[entry["name"]] = {"secret": (ref["name"], ref["key"])}
        else:
            env[entry["name"]] = {"value": entry["value"]}
    return env


def needed(settings_cls) -> dict[str, set]:
    """Environment variable -> marks, for each setting production needs to be given."""
    return {env_name(name): kinds(field) for name, field in settings_cls.model_fields.items()
            if kinds(field) & {SECRET, ADDRESS, REQUIRED} and not _optional(field)}


def _optional(field) -> bool:
    return field.default is None


@pytest.mark.parametrize("service", list(SETTINGS))
def test_deploy_prod_provides_every_setting_production_needs(service, resources, kube):
    env = provided(resources["prod"], service, kube)
    missing = [name for name in needed(SETTINGS[service]) if name not in env]
    assert not missing, f"{service}: not provided by the prod overlay: {missing}"
    for name, marks in needed(SETTINGS[service]).items():
        if SECRET in marks:
            assert "secret" in env[name], f"{service}: {name} is a secret but comes from {env[name]}"


@pytest.mark.parametrize("service", list(SETTINGS))
def test_deploy_every_variable_given_is_a_setting_the_service_reads(service, resources, kube):
    fields = {env_name(name) for name in SETTINGS[service].model_fields}
    for overlay in kube.overlays:
        unread = sorted(set(provided(resources[overlay], service, kube)) - fields)
        assert not unread, f"{service} ({overlay}) is given variables it never reads: {unread}"


@pytest.mark.parametrize("service", list(SETTINGS))
def test_deploy_prod_settings_pass_the_production_contract(service, resources, kube):
    """Built from the rendered ConfigMap and literal values, each Secret reference standing for a
    value its operator creates, the settings are accepted with TSUNAGU_ENVIRONMENT=production."""
    cls = SETTINGS[service]
    by_env = {env_name(name): name for name in cls.model_fields}
    values = {}
    for variable, source in provided(resources["prod"], service, kube).items():
        field = cls.model_fields[by_env[variable]]
        if "secret" in source:
            name, key = source["secret"]
            numeric = int in (field.annotation, *get_args(field.annotation))
            values[by_env[variable]] = "587" if numeric else f"{name}.{key}.created-by-the-operator"
        else:
            values[by_env[variable]] = source.get("configmap", source.get("value"))
    assert values["environment"] == "production"
    settings = cls.model_validate(values)
    assert settings.production_problems() == []


def test_deploy_messaging_reaches_the_profile_service(resources, kube):
    for overlay in kube.overlays:
        docs = resources[overlay]
        url = provided(docs, "messaging", kube)["TSUNAGU_PROFILE_URL"]["configmap"]
        (port,) = kube.one(docs, "Service", "profile")["spec"]["ports"]
        assert url in (f"http://profile:{port['port']}", "http://profile") and port["port"] == 80, url


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_deploy_no_secret_value_is_in_a_configmap_or_a_literal(overlay, resources, kube):
    for service, cls in SETTINGS.items():
        secrets = {env_name(n) for n, f in cls.model_fields.items() if SECRET in kinds(f)}
        env = provided(resources[overlay], service, kube)
        leaked = sorted(name for name in secrets & env.keys() if "secret" not in env[name])
        assert not leaked, f"{service} ({overlay}): secret settings given in clear: {leaked}"
    assert not [d for d in resources[overlay] if d["kind"] == "Secret"]


def test_deploy_every_secret_reference_is_documented(resources, kube):
    settings_doc = (kube.repo / "docs" / "settings.md").read_text()
    for service in SETTINGS:
        for variable, source in provided(resources["prod"], service, kube).items():
            if "secret" in source:
                name, key = source["secret"]
                # per-service Secrets are documented once: `<service>` (the KafkaUser's), `<service>-mongodb`
                secret = {service: "<service>", f"{service}-mongodb": "<service>-mongodb"}.get(name, name)
                assert f"`{secret}`" in settings_doc and f"`{key}`" in settings_doc, (variable, name, key)
                assert f"`{variable}`" in settings_doc, variable


def test_deploy_settings_doc_lists_every_setting_as_the_classes_define_it(kube):
    sys.path.insert(0, str(kube.repo / "scripts"))
    import settings_doc

    text = (kube.repo / "docs" / "settings.md").read_text()
    assert settings_doc.updated(text) == text, "docs/settings.md is stale: run `make docs`"
    for cls in SETTINGS.values():
        for name in cls.model_fields:
            assert f"`{env_name(name)}`" in text, name


@pytest.mark.parametrize("service, named", [
    ("notify", ["TSUNAGU_UNSUBSCRIBE_SECRET", "TSUNAGU_EMAIL_WEBHOOK_SECRET", "TSUNAGU_TWILIO_AUTH_TOKEN",
                "TSUNAGU_LINE_CHANNEL_SECRET", "TSUNAGU_PUBLIC_BASE_URL", "TSUNAGU_SMTP_HOST", "TSUNAGU_SMTP_TLS",
                "TSUNAGU_SMTP_FROM_ADDRESS", "TSUNAGU_TWILIO_FROM"]),
    ("messaging", ["TSUNAGU_PROFILE_URL", "TSUNAGU_THREAD_BASE_URL"]),
    ("scout", ["TSUNAGU_SHARE_BASE_URL"]),
    ("profile", ["TSUNAGU_OPENSEARCH_URL"]),
    ("events", ["TSUNAGU_JWT_SECRET", "TSUNAGU_MONGO_URL", "TSUNAGU_KAFKA_BOOTSTRAP"]),
])
def test_deploy_each_service_refuses_its_development_defaults_in_production(service, named):
    with pytest.raises(ValidationError) as caught:
        SETTINGS[service].model_validate({"environment": "production"})
    missing = [name for name in named if name not in str(caught.value)]
    assert not missing, str(caught.value)


def test_deploy_notify_refuses_a_policy_file_without_a_production_table(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("[local]\nmin_gap_minutes = 1\n")
    with pytest.raises(ValidationError, match=r"TSUNAGU_POLICY_FILE: the policy file has no \[production\] table"):
        NotifySettings.model_validate({"environment": "production", "policy_file": str(policy)})
