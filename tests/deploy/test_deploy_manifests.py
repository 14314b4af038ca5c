"""The kustomize overlays build, validate strictly against the Kubernetes and CRD schemas,
and hold what production needs: per-service pieces, hardened containers, real probe paths,
Kafka topics for every topic the code uses, scaling, network isolation, referenced Secrets."""

import copy
import importlib
import json

import jsonschema
import kubernetes_validate
import pytest
from starlette.routing import Match
from tsunagu_shared.kafka.admin import wanted_topics
from tsunagu_shared.topics import ALL_TOPICS, CONSUMER_GROUPS

KUBERNETES_VERSION = "1.33.0"
CRD_SCHEMAS = {
    ("kafka.strimzi.io/v1", "Kafka"): "kafka.json",
    ("kafka.strimzi.io/v1", "KafkaNodePool"): "kafkanodepool.json",
    ("kafka.strimzi.io/v1", "KafkaTopic"): "kafkatopic.json",
    ("kafka.strimzi.io/v1", "KafkaUser"): "kafkauser.json",
    ("gateway.networking.k8s.io/v1", "Gateway"): "gateway.json",
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): "httproute.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "scaledobject.json",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): "triggerauthentication.json",
    ("opensearch.opster.io/v1", "OpenSearchCluster"): "opensearchcluster.json",
}
HTTP_SERVICES = ("profile", "scout", "messaging", "events")
CONSUMER_SERVICES = ("notify",)
PER_SERVICE_KINDS = ("Deployment", "Service", "ServiceAccount", "PodDisruptionBudget", "NetworkPolicy")
NOTIFY_PROVIDER_ENV = (
    "TSUNAGU_TWILIO_ACCOUNT_SID", "TSUNAGU_TWILIO_AUTH_TOKEN",
    "TSUNAGU_LINE_CHANNEL_ACCESS_TOKEN", "TSUNAGU_LINE_CHANNEL_SECRET",
    "TSUNAGU_SMTP_HOST", "TSUNAGU_SMTP_PORT", "TSUNAGU_SMTP_USERNAME", "TSUNAGU_SMTP_PASSWORD",
)


def validate(doc: dict, kube) -> None:
    """Strict schema validation: Kubernetes kinds by kubernetes-validate, CRDs by deploy/schemas."""
    key = (doc["apiVersion"], doc["kind"])
    if key in CRD_SCHEMAS:
        schema = json.loads((kube.deploy / "schemas" / CRD_SCHEMAS[key]).read_text())
        jsonschema.Draft202012Validator(schema).validate(doc)
    else:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def serves_get(app, path: str) -> bool:
    """Whether one of the app's routes fully matches GET `path` (routing only, no request runs)."""
    scope = {"type": "http", "path": path, "method": "GET", "root_path": "", "query_string": b"", "headers": []}
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


def containers(deployment: dict) -> list[dict]:
    return deployment["spec"]["template"]["spec"]["containers"]


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_deploy_every_resource_is_valid_in_strict_mode(overlay, resources, kube):
    failures = []
    for doc in resources[overlay]:
        try:
            validate(doc, kube)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as exc:
            failures.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            failures.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")
    assert not failures, "\n".join(failures)


def test_deploy_strict_validation_rejects_unknown_fields(resources, kube):
    """The validation can fail: a misspelt field in a built-in kind or a CRD is caught."""
    deployment = copy.deepcopy(kube.one(resources["prod"], "Deployment", "profile"))
    containers(deployment)[0]["readinesProbe"] = containers(deployment)[0].pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment, kube)
    topic = copy.deepcopy(kube.one(resources["prod"], "KafkaTopic", "profile-events"))
    topic["spec"]["partition"] = topic["spec"].pop("partitions")
    with pytest.raises(jsonschema.ValidationError):
        validate(topic, kube)


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_deploy_no_secret_is_committed(overlay, resources, built):
    assert not [d for d in resources[overlay] if d["kind"] == "Secret"]
    assert "stringData" not in built[overlay]


@pytest.mark.parametrize("service", ["profile", "scout", "messaging", "events", "notify"])
def test_deploy_every_service_has_its_pieces(service, resources, kube):
    docs = resources["prod"]
    for kind in PER_SERVICE_KINDS:
        kube.one(docs, kind, service)
    kube.one(docs, "ConfigMap", f"{service}-config")
    deployment = kube.one(docs, "Deployment", service)
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == service
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service_doc = kube.one(docs, "Service", service)
    assert service_doc["spec"]["selector"].items() <= labels.items()
    pdb = kube.one(docs, "PodDisruptionBudget", service)
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (container,) = containers(deployment)
    assert container["image"].split("/")[-1].split(":")[0] == service
    assert {"name": "http", "containerPort": 8080, "protocol": "TCP"} in container["ports"]
    config = kube.one(docs, "ConfigMap", f"{service}-config")["data"]
    assert config["TSUNAGU_HTTP_HOST"] == "0.0.0.0"
    assert config["TSUNAGU_HTTP_PORT"] == "8080"
    assert config["TSUNAGU_ENVIRONMENT"] == "production"
    assert config["TSUNAGU_MONGO_DB"] == f"tsunagu_{service}"


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_deploy_every_container_is_hardened(overlay, resources, kube):
    for deployment in kube.find(resources[overlay], "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for container in containers(deployment):
            name = f"{deployment['metadata']['name']}/{container['name']}"
            sc = container["securityContext"]
            assert sc["runAsNonRoot"] is True, name
            assert sc["runAsUser"] >= 10000, name
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["capabilities"]["drop"] == ["ALL"] and "add" not in sc["capabilities"], name
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, name
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= container["resources"][part].keys(), name
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name


@pytest.mark.parametrize("service", ["profile", "scout", "messaging", "events", "notify"])
def test_deploy_probes_and_scrape_paths_are_served_by_the_app(service, resources, kube):
    """Every path a probe or Prometheus uses is a route of the service's real FastAPI app."""
    api = importlib.import_module(f"tsunagu_{service}.entrypoints.api")
    app = api.create_app()
    deployment = kube.one(resources["prod"], "Deployment", service)
    (container,) = containers(deployment)
    paths = {container[probe]["httpGet"]["path"] for probe in ("startupProbe", "livenessProbe", "readinessProbe")}
    paths.add(deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/path"])
    unserved = {path for path in paths if not serves_get(app, path)}
    assert not unserved, f"not served by tsunagu_{service}: {unserved}"
    assert not serves_get(app, "/no-such-path")
    assert {"/healthz", "/readyz", "/metrics"} <= paths


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_deploy_every_topic_the_code_uses_is_a_kafka_topic(overlay, resources):
    declared = {t["spec"]["topicName"]: t["spec"] for t in resources[overlay] if t["kind"] == "KafkaTopic"}
    wanted = wanted_topics()
    assert set(declared) == set(wanted), f"missing {set(wanted) - set(declared)}, extra {set(declared) - set(wanted)}"
    assert {f"{group}.dlq" for group in CONSUMER_GROUPS} <= set(declared)
    retention = {t.name: t.retention_days for t in ALL_TOPICS}
    for name, spec in declared.items():
        assert spec["partitions"] == wanted[name], name
        days = retention.get(name, 30)
        assert spec["config"]["retention.ms"] == str(days * 24 * 3600 * 1000), name
        if overlay == "prod":
            assert spec["replicas"] == 3, name
            assert spec["config"]["min.insync.replicas"] == "2", name


def test_deploy_prod_has_a_replicated_kafka_cluster(resources, kube):
    docs = resources["prod"]
    kafka = kube.one(docs, "Kafka", "tsunagu-kafka")
    brokers = [p for p in kube.find(docs, "KafkaNodePool") if "broker" in p["spec"]["roles"]]
    assert sum(p["spec"]["replicas"] for p in brokers) >= 3
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    for doc in kube.find(docs, "KafkaTopic") + kube.find(docs, "KafkaUser") + kube.find(docs, "KafkaNodePool"):
        assert doc["metadata"]["labels"]["strimzi.io/cluster"] == "tsunagu-kafka"


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_deploy_http_services_scale_on_cpu_and_consumers_on_lag(overlay, resources, kube):
    docs = resources[overlay]
    for service in HTTP_SERVICES:
        hpa = kube.one(docs, "HorizontalPodAutoscaler", service)
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": service}
        assert "replicas" not in kube.one(docs, "Deployment", service)["spec"], "the HPA owns the replica count"
        assert not kube.find(docs, "ScaledObject", service)
    for service in CONSUMER_SERVICES:
        assert not kube.find(docs, "HorizontalPodAutoscaler", service), "KEDA owns its HPA"
        # a group whose work runs in a Deployment of its own (notify-delivery) scales with that one
        apart = {g for g in CONSUMER_GROUPS if g != service and kube.find(docs, "ScaledObject", g)}
        for group in apart:
            _scales_on_its_lag(kube, docs, group, [group])
        # more members than partitions would sit idle: the ceiling is the partition count
        _scales_on_its_lag(kube, docs, service, [g for g in CONSUMER_GROUPS
                                                 if (g == service or g.startswith(f"{service}-")) and g not in apart])


def _scales_on_its_lag(kube, docs: list[dict], name: str, groups: list[str]) -> None:
    """The ScaledObject `name` scales the Deployment of the same name on the lag of these groups,
    up to the partition count of their topics."""
    scaled = kube.one(docs, "ScaledObject", name)
    assert scaled["spec"]["scaleTargetRef"]["name"] == name
    kube.one(docs, "Deployment", name)
    group_topics = tuple(t for g in groups for t in CONSUMER_GROUPS[g])
    assert scaled["spec"]["maxReplicaCount"] == min(t.partitions for t in group_topics)
    lag = [t for t in scaled["spec"]["triggers"] if t["type"] == "kafka"]
    assert {t["metadata"]["topic"] for t in lag} == {t.name for t in group_topics}
    assert {t["metadata"]["consumerGroup"] for t in lag} == set(groups)
    for trigger in lag:
        kube.one(docs, "TriggerAuthentication", trigger["authenticationRef"]["name"])


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_deploy_network_is_denied_by_default_and_opened_narrowly(overlay, resources, kube):
    docs = resources[overlay]
    deny = kube.one(docs, "NetworkPolicy", "default-deny")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for service in kube.services:
        policy = kube.one(docs, "NetworkPolicy", service)
        assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": service}
        sources = [peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                   if "namespaceSelector" in peer else peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                   for rule in policy["spec"]["ingress"] for peer in rule["from"]]
        # the gateway's proxies and Prometheus from their namespaces; within the namespace, only the
        # service-to-service calls the code makes (messaging asks profile for contact preferences)
        # and the recruiter console's proxy
        callers = {"profile": ["messaging"]}.get(service, [])
        assert sources == ["envoy-gateway-system", *callers, "console", "monitoring"], service
        egress = policy["spec"]["egress"]
        ports = sorted(p["port"] for rule in egress for p in rule["ports"])
        # 443: the identity provider's keys (and notify's providers); 9200: the search engine
        expected = {"notify": [443, 465, 587, 9093, 27017],
                    "messaging": [443, 8080, 9093, 9200, 27017]}.get(service, [443, 9093, 9200, 27017])
        assert ports == expected, service
        calls = [peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for rule in egress
                 for peer in rule.get("to", []) if "app.kubernetes.io/name" in peer.get("podSelector", {}).get(
                     "matchLabels", {}) and "namespaceSelector" not in peer]
        assert calls == {"messaging": ["profile"]}.get(service, []), service
        open_internet = [p["port"] for rule in egress if any("ipBlock" in peer for peer in rule["to"])
                         for p in rule["ports"]]
        # every service fetches the identity provider's keys; only notify reaches the providers
        assert sorted(open_internet) == ([443, 465, 587] if service == "notify" else [443]), service


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_deploy_secrets_are_referenced_and_documented(overlay, resources, kube):
    # the Secrets are documented in docs/settings.md (operations.md walks through creating them)
    operations = "".join((kube.repo / "docs" / doc).read_text() for doc in ("operations.md", "settings.md"))
    for service in kube.services:
        (container,) = containers(kube.one(resources[overlay], "Deployment", service))
        refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
        assert {"TSUNAGU_JWT_SECRET", "TSUNAGU_MONGO_URL", "TSUNAGU_KAFKA_SASL_PASSWORD"} <= refs.keys()
        if service == "notify":
            assert set(NOTIFY_PROVIDER_ENV) <= refs.keys()
            assert {refs[e]["name"] for e in NOTIFY_PROVIDER_ENV} == {"notify-providers"}
        for env, ref in refs.items():
            assert env in operations, f"{env} is not documented in docs/settings.md"
            # a service's Kafka Secret is named after it by Strimzi's user operator, documented once as `<service>`
            secret = "<service>" if ref["name"] == service else ref["name"]
            assert f"`{secret}`" in operations, f"Secret {ref['name']} is not documented"
            assert f"`{ref['key']}`" in operations, f"key {ref['key']} of {ref['name']} is not documented"


def test_deploy_recruiter_gateway_serves_tls(resources, kube):
    """Gateway API: HTTPS with the cert-manager certificate, plain HTTP only redirects, one route
    per service under /<service>, the recruiter console at the root, and the operational paths
    never forwarded."""
    docs = resources["prod"]
    gateway = kube.one(docs, "Gateway", "recruiter-gateway")
    assert "cert-manager.io/cluster-issuer" in gateway["metadata"]["annotations"]
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    assert listeners["https"]["protocol"] == "HTTPS" and listeners["https"]["port"] == 443
    assert listeners["https"]["tls"]["certificateRefs"] == [{"kind": "Secret", "name": "recruiter-gateway-tls"}]
    assert {listener["hostname"] for listener in listeners.values()} == {"recruiters.tsunagu.jp"}
    assert not kube.find(docs, "Ingress"), "ingress-nginx is retired: the Gateway API serves the public paths"
    routes = kube.find(docs, "HTTPRoute")
    (redirect,) = [r for r in routes if r["spec"]["parentRefs"][0]["sectionName"] == "http"]
    assert redirect["spec"]["rules"] == [{"filters": [{"type": "RequestRedirect",
                                                        "requestRedirect": {"scheme": "https", "statusCode": 301}}]}]
    served = {}
    for route in routes:
        if route is redirect:
            continue
        assert route["spec"]["parentRefs"] == [{"name": "recruiter-gateway", "sectionName": "https"}]
        forward, hidden = route["spec"]["rules"]
        (backend,) = forward["backendRefs"]
        service = kube.one(docs, "Service", backend["name"])
        assert backend["port"] in {p["port"] for p in service["spec"]["ports"]}
        (match,) = forward["matches"]
        prefix = "" if backend["name"] == "console" else f"/{backend['name']}"
        assert match["path"] == {"type": "PathPrefix", "value": prefix or "/"}
        if prefix:
            assert forward["filters"] == [{"type": "URLRewrite", "urlRewrite": {"path": {
                "type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}]
        assert "backendRefs" not in hidden
        assert [m["path"] for m in hidden["matches"]] == [
            {"type": "Exact", "value": f"{prefix}/{p}"} for p in ("healthz", "readyz", "metrics")]
        served[backend["name"]] = route
    assert set(served) == {*kube.services, "console"}


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_deploy_every_notify_role_runs_in_exactly_one_deployment(overlay, resources, kube):
    """notify's process roles (TSUNAGU_NOTIFY_ROLES) split between its Deployments: none twice, none missing."""
    from tsunagu_notify.config import NOTIFY_ROLES, NotifySettings

    running = []
    for deployment in kube.find(resources[overlay], "Deployment"):
        (container,) = containers(deployment)
        if container["image"].split("/")[-1].split(":")[0] != "notify":
            continue
        given = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
        roles = given.get("TSUNAGU_NOTIFY_ROLES", NotifySettings.model_fields["notify_roles"].default)
        running += NotifySettings(notify_roles=roles).roles()
    assert sorted(running) == sorted(NOTIFY_ROLES)
