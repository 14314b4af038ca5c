"""What each service's Kafka user must be allowed, derived from the code: the topics each of its
consumer groups reads (tsunagu_shared.topics.CONSUMER_GROUPS), the topics it owns and writes
(Topic.owner) and the dead-letter topic of each of its groups, and the transactional ids of
notify's policy stage (one producer per partition, `notify-policy-<partition>`)."""

import pytest
from tsunagu_shared.topics import (
    ALL_TOPICS,
    CONSUMER_GROUPS,
    INTERNAL_TOPICS,
    NOTIFY_DELIVERY_RETRIES,
    NOTIFY_RECIPIENT_STATE,
    dlq_name,
)

SERVICES = ("profile", "scout", "messaging", "events", "notify")


def groups_of(service: str) -> list[str]:
    """A service's consumer groups are named after it: `<service>` or `<service>-<component>`."""
    return sorted(g for g in CONSUMER_GROUPS if g == service or g.startswith(f"{service}-"))


def transactional_prefixes(service: str) -> list[str]:
    """notify's policy stage and channel workers: one transactional producer per partition, `<group>-<p>`."""
    if service != "notify":
        return []
    from tsunagu_notify.adapters.delivery_stream import GROUP as DELIVERY
    from tsunagu_notify.adapters.recipient_stream import GROUP as POLICY

    return sorted([f"{POLICY}-", f"{DELIVERY}-"])


def expected_acls(service: str) -> list[dict]:
    """The ACL rules of the service's KafkaUser, in a stable order."""
    operations: dict[str, set[str]] = {}
    for group in groups_of(service):
        for topic in CONSUMER_GROUPS[group]:
            operations.setdefault(topic.name, set()).update({"Read", "Describe"})
        operations.setdefault(dlq_name(group), set()).update({"Write", "Describe"})
    for topic in ALL_TOPICS + INTERNAL_TOPICS:
        if topic.owner == service:
            operations.setdefault(topic.name, set()).update({"Write", "Describe"})
    if service == "notify":
        # the policy stage restores a partition's people, the channel workers their retries, from
        # the changelogs, without a group
        operations[NOTIFY_RECIPIENT_STATE.name].update({"Read", "Describe"})
        operations[NOTIFY_DELIVERY_RETRIES.name].update({"Read", "Describe"})
    rules = [{"resource": {"type": "topic", "name": name, "patternType": "literal"},
              "operations": sorted(ops)} for name, ops in sorted(operations.items())]
    rules += [{"resource": {"type": "group", "name": group, "patternType": "literal"},
               "operations": ["Describe", "Read"]} for group in groups_of(service)]
    rules += [{"resource": {"type": "transactionalId", "name": prefix, "patternType": "prefix"},
               "operations": ["Describe", "Write"]} for prefix in transactional_prefixes(service)]
    return rules


# Kafka versions the Strimzi release the docs name (1.2) runs (its kafka-versions.yaml)
STRIMZI_KAFKA_VERSIONS = {"4.2.0": "4.2-IV1", "4.2.1": "4.2-IV1", "4.3.0": "4.3-IV0", "4.3.1": "4.3-IV0"}


@pytest.mark.parametrize("service", SERVICES)
def test_deploy_each_kafka_user_may_do_exactly_what_its_service_does(service, resources, kube):
    for overlay in kube.overlays:
        user = kube.one(resources[overlay], "KafkaUser", service)
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        assert user["spec"]["authorization"]["type"] == "simple"
        assert user["spec"]["authorization"]["acls"] == expected_acls(service), overlay
        assert all(rule.get("type", "allow") == "allow" for rule in user["spec"]["authorization"]["acls"])
    assert {u["metadata"]["name"] for u in kube.find(resources["prod"], "KafkaUser")} == set(SERVICES)


def test_deploy_kafka_acls_are_derived_from_the_code():
    """The derivation can fail: notify's policy stage needs its transactional ids, a consumer its group."""
    notify = expected_acls("notify")
    assert {"resource": {"type": "transactionalId", "name": "notify-policy-", "patternType": "prefix"},
            "operations": ["Describe", "Write"]} in notify
    assert not any(rule["resource"]["type"] == "transactionalId" for rule in expected_acls("profile"))
    scout_topics = {r["resource"]["name"]: r["operations"] for r in expected_acls("scout")}
    assert scout_topics["profile.events"] == ["Describe", "Read"]  # read, never written
    assert scout_topics["scout.events"] == ["Describe", "Read", "Write"]  # written; read by its projector
    assert "notify.intents" not in scout_topics


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_deploy_kafka_listens_with_tls_and_scram_for_tsunagu_only(overlay, resources, kube):
    docs = resources[overlay]
    kafka = kube.one(docs, "Kafka", "tsunagu-kafka")["spec"]["kafka"]
    assert STRIMZI_KAFKA_VERSIONS.get(kafka["version"]) == kafka["metadataVersion"]
    assert kafka["authorization"] == {"type": "simple"}
    (listener,) = kafka["listeners"]
    assert listener["tls"] is True and listener["authentication"] == {"type": "scram-sha-512"}
    peers = listener["networkPolicyPeers"]
    assert {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "tsunagu"}}} in peers
    assert all("namespaceSelector" not in p or p["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "keda"} for p in peers), "no other namespace reaches the listener"
    bootstrap = f"tsunagu-kafka-kafka-bootstrap:{listener['port']}"
    for service in SERVICES:
        config = kube.one(docs, "ConfigMap", f"{service}-config")["data"]
        assert config["TSUNAGU_KAFKA_BOOTSTRAP"] == bootstrap
        assert config["TSUNAGU_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert config["TSUNAGU_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
        pod = kube.one(docs, "Deployment", service)["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        ca = next(v for v in pod["volumes"] if v["name"] == "kafka-ca")
        assert ca["secret"]["secretName"] == "tsunagu-kafka-cluster-ca-cert"
        mount = next(m for m in container["volumeMounts"] if m["name"] == "kafka-ca")
        assert config["TSUNAGU_KAFKA_SSL_CAFILE"] == f"{mount['mountPath']}/ca.crt" and mount["readOnly"] is True
    for trigger in kube.one(docs, "ScaledObject", "notify")["spec"]["triggers"]:
        if trigger["type"] == "kafka":
            assert trigger["metadata"]["bootstrapServers"] == bootstrap and trigger["metadata"]["tls"] == "enable"
