"""The `tsunagu` command as an operator runs it: a subprocess against the test broker.

Failures an operator can act on are one line on stderr with a non-zero status,
reads never create a topic, listings have --json, limits are said when hit.
"""

import json
import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import jwt
from aiokafka.admin import AIOKafkaAdminClient
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import OfferIssued, ScoutSent
from tsunagu_shared.kafka import EventPublisher, ensure_topics
from tsunagu_shared.samples import build
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.testing import TopicReader, free_port, kafka_bootstrap, mongo_url, opensearch_url, unique_prefix

TSUNAGU = str(Path(sys.executable).parent / "tsunagu")
# The test broker's SASL/PLAIN listener (scripts/stack.py) and its development user.
SASL_BOOTSTRAP = os.environ.get("TSUNAGU_KAFKA_SASL_PLAIN_BOOTSTRAP", "127.0.0.1:19094")
SASL_USER, SASL_PASSWORD = "operator", "operator-dev-password"


def tsunagu(*args: str, prefix: str = "", **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TSUNAGU_KAFKA_SASL_")}
    environment.update(TSUNAGU_KAFKA_BOOTSTRAP=kafka_bootstrap(), TSUNAGU_TOPIC_PREFIX=prefix, **env)
    return subprocess.run([TSUNAGU, *args], capture_output=True, text=True, timeout=60, env=environment)


def one_line_failure(result: subprocess.CompletedProcess, status: int = 1) -> str:
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr.strip()


async def topics_on_broker() -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap())
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def dead_letters(prefix: str, count: int) -> str:
    """`count` dead letters of group notify, from scout.events; returns the source topic."""
    source, dlq = f"{prefix}scout.events", f"{prefix}notify.dlq"
    await ensure_topics(kafka_bootstrap(), {source: 1, dlq: 1})
    publisher = EventPublisher(bootstrap=kafka_bootstrap())
    await publisher.start()
    try:
        for n in range(count):
            envelope = Envelope.wrap(build(ScoutSent), source="tests")
            await publisher.publish_raw(dlq, envelope.to_bytes(), key=f"cand-{n}".encode(), headers=[
                *envelope.headers(), ("dlq_reason", f"template missing {n}".encode()),
                ("dlq_error_type", b"PermanentError"), ("dlq_topic", source.encode()),
                ("dlq_failed_at", b"2026-11-26T10:00:00+00:00")])
    finally:
        await publisher.stop()
    return source


def test_version():
    result = tsunagu("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == "tsunagu 0.1.0"


async def test_a_mistyped_group_fails_in_one_line_and_creates_no_topic():
    prefix = unique_prefix()
    message = one_line_failure(tsunagu("dlq", "list", "notfy", prefix=prefix))
    assert f"topic {prefix}notfy.dlq does not exist" in message
    assert "'notfy' is not a consumer group of Tsunagu" in message
    # a topic that is not there yet: refused, nothing created
    assert "does not exist" in one_line_failure(tsunagu("tail", "scout.events", "--count", "1", prefix=prefix))
    assert not {t for t in await topics_on_broker() if t.startswith(prefix)}


def test_an_unreachable_broker_fails_in_one_line():
    message = one_line_failure(tsunagu("--bootstrap", f"127.0.0.1:{free_port()}", "dlq", "list", "notify"))
    assert message.startswith("tsunagu: cannot reach Kafka at 127.0.0.1:")
    assert "Connect call failed" in message
    notify = f"http://127.0.0.1:{free_port()}"
    message = one_line_failure(tsunagu("timeline", "cand-1", "--json", TSUNAGU_NOTIFY_URL=notify))
    assert message.startswith(f"tsunagu: cannot reach {notify}/recipients/cand-1/decisions")


async def test_dlq_listing_says_its_limit_and_lists_everything_with_all():
    prefix = unique_prefix()
    await dead_letters(prefix, 3)

    capped = tsunagu("dlq", "list", "notify", "--limit", "2", "--json", prefix=prefix)
    assert capped.returncode == 0, capped.stderr
    listing = json.loads(capped.stdout)
    assert (listing["total"], listing["limit"], listing["limited"]) == (3, 2, True)
    assert [d["reason"] for d in listing["dead_letters"]] == ["template missing 0", "template missing 1"]
    assert listing["dead_letters"][0]["type"] == "ScoutSent"
    assert "the first 2 of 3 dead letters (the limit is 2); pass --all" in capped.stderr

    everything = tsunagu("dlq", "list", "notify", "--all", prefix=prefix)
    assert everything.stdout.count("PermanentError: template missing") == 3 and everything.stderr == ""
    assert everything.stdout.strip().endswith("3 dead letters")


async def test_dlq_replay_stops_at_its_limit_and_says_so():
    prefix = unique_prefix()
    source = await dead_letters(prefix, 3)

    result = tsunagu("dlq", "replay", "notify", "--limit", "1", "--json", prefix=prefix)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"group": "notify", "replayed": 1, "total": 3, "limit": 1,
                                         "limited": True, "offsets": [0]}
    assert "replayed the first 1 of 3 dead letters (the limit is 1)" in result.stderr
    async with TopicReader(source) as reader:
        records = await reader.wait_for(lambda r: len(r) >= 1)
        await reader.poll(1.0)
    assert [r.key for r in reader.records] == [b"cand-0"]
    assert records[0].key == b"cand-0"


def test_tokens_only_for_roles_that_exist():
    assert one_line_failure(tsunagu("token", "--role", "wizard", "--subject", "x"), status=2) == \
        "tsunagu: no role 'wizard': the roles are candidate, recruiter, admin, service"
    assert one_line_failure(tsunagu("token", "--role", "recruiter", "--subject", "r1"), status=2) == \
        "tsunagu: a recruiter token needs --company-id"
    issued = tsunagu("token", "--role", "recruiter", "--subject", "r1", "--company-id", "c1")
    claims = jwt.decode(issued.stdout.strip(), options={"verify_signature": False})
    assert (claims["role"], claims["sub"], claims["company_id"]) == ("recruiter", "r1", "c1")


async def test_tail_prints_json_lines_from_an_existing_topic():
    prefix = unique_prefix()
    topic = f"{prefix}messaging.events"
    await ensure_topics(kafka_bootstrap(), {topic: 1})
    envelope = Envelope.wrap(build(OfferIssued), source="tests")
    publisher = EventPublisher(bootstrap=kafka_bootstrap(), topic_prefix=prefix)
    await publisher.start()
    try:
        await publisher.publish(envelope)
    finally:
        await publisher.stop()
    result = tsunagu("tail", "messaging.events", "--from-beginning", "--count", "1", prefix=prefix)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert (line["id"], line["type"], line["subject"]) == (envelope.id, "OfferIssued", envelope.subject)


async def test_sasl_credentials_from_options_and_environment():
    prefix = unique_prefix()
    await dead_letters(prefix, 1)
    over_sasl = ("--bootstrap", SASL_BOOTSTRAP, "--security-protocol", "SASL_PLAINTEXT", "--sasl-mechanism", "PLAIN",
                 "--sasl-username", SASL_USER)
    result = tsunagu(*over_sasl, "dlq", "list", "notify", "--json", prefix=prefix,
                     TSUNAGU_KAFKA_SASL_PASSWORD=SASL_PASSWORD)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] == 1

    refused = one_line_failure(tsunagu(*over_sasl, "dlq", "list", "notify", prefix=prefix,
                                       TSUNAGU_KAFKA_SASL_PASSWORD="wrong"))
    assert refused == (f"tsunagu: authentication to Kafka at {SASL_BOOTSTRAP} (SASL_PLAINTEXT) failed: "
                       "Invalid username or password")


def test_a_missing_ca_file_is_named():
    message = one_line_failure(tsunagu("--security-protocol", "SASL_SSL", "--ca-file", "/nonexistent/ca.pem",
                                       "dlq", "list", "notify"))
    assert message == "tsunagu: CA file /nonexistent/ca.pem not found"


def test_the_ca_file_reaches_the_tls_context(tmp_path):
    from datetime import datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tsunagu test CA")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    ca = tmp_path / "ca.pem"
    ca.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    options = ServiceSettings(kafka_security_protocol="SASL_SSL", kafka_ssl_cafile=str(ca)).kafka_client_options()
    assert [c["subject"] for c in options["ssl_context"].get_ca_certs()] == [((("commonName", "tsunagu test CA"),),)]


def test_search_rebuild_names_the_indexes_and_rebuilds_each_from_its_store():
    failed = tsunagu("search", "rebuild", "scoutz")
    said = " ".join(failed.stderr.replace("│", " ").split())  # typer draws a box around it
    assert failed.returncode == 2 and "known: profiles, scouts, threads, events" in said, said
    prefix = unique_prefix()
    env = {"TSUNAGU_OPENSEARCH_URL": opensearch_url(), "TSUNAGU_MONGO_URL": mongo_url(),
           "TSUNAGU_MONGO_DB": f"{prefix}db".replace(".", "_"), "TSUNAGU_SEARCH_INDEX_PREFIX": prefix}
    for index in ("scouts", "threads", "events"):
        rebuilt = tsunagu("search", "rebuild", index, prefix=prefix, **env)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert rebuilt.stdout.strip().splitlines()[-1] == f"{index} index rebuilt: 0 documents"
