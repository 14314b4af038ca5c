"""The TypeScript subscriber of examples/subscriber-ts, run by node against the test broker.

It signs in over the broker's SASL/PLAIN listener, joins its own group, validates
each record against the published JSON Schemas and reacts to ScoutSent and
OfferIssued once per event id; what it says is one JSON line each.
"""

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.events import OfferIssued, ScoutSent, ScoutViewed
from tsunagu_shared.kafka import EventPublisher, ensure_topics
from tsunagu_shared.samples import build
from tsunagu_shared.testing import kafka_bootstrap, unique_prefix

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBER = ROOT / ".cache/node/subscriber-ts/dist/subscriber.js"
NODE = shutil.which("node")
SASL_BOOTSTRAP = os.environ.get("TSUNAGU_KAFKA_SASL_PLAIN_BOOTSTRAP", "127.0.0.1:19094")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed: the example subscriber runs on node")


async def publish(prefix: str) -> dict[str, Envelope]:
    await ensure_topics(kafka_bootstrap(), {f"{prefix}scout.events": 2, f"{prefix}messaging.events": 2})
    sent = {
        "scout": Envelope.wrap(build(ScoutSent).model_copy(update={"candidate_id": "cand-1"}), source="tests"),
        "viewed": Envelope.wrap(build(ScoutViewed), source="tests"),
        "offer": Envelope.wrap(build(OfferIssued).model_copy(update={"candidate_id": "cand-1"}), source="tests"),
    }
    broken = sent["scout"].to_document() | {"id": "broken-1", "data": {"scout_id": "s-9"}}
    newer = sent["scout"].to_document() | {"id": "newer-1", "schemaversion": 2}
    publisher = EventPublisher(bootstrap=kafka_bootstrap(), topic_prefix=prefix)
    await publisher.start()
    try:
        for envelope in sent.values():
            await publisher.publish(envelope)
        topic = f"{prefix}scout.events"
        await publisher.publish_raw(topic, sent["scout"].to_bytes(), key=b"cand-1", headers=[])  # delivered twice
        for document in (broken, newer):
            await publisher.publish_raw(topic, json.dumps(document).encode(), key=b"cand-1", headers=[])
    finally:
        await publisher.stop()
    return sent


async def read_until(process: asyncio.subprocess.Process, done, timeout: float = 60.0) -> list[dict]:
    lines: list[dict] = []
    async with asyncio.timeout(timeout):
        while not done(lines):
            raw = await process.stdout.readline()
            if not raw:
                raise AssertionError(f"the subscriber stopped: {(await process.stderr.read()).decode()}")
            lines.append(json.loads(raw))
    return lines


async def committed(group: str) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    totals: dict[str, int] = {}
    for tp, meta in offsets.items():
        totals[tp.topic] = totals.get(tp.topic, 0) + meta.offset
    return totals


async def test_the_typescript_subscriber_validates_and_reacts_once_per_event():
    if not SUBSCRIBER.exists():
        pytest.fail("the example is not built: run `make install` (scripts/install_node.sh)")
    prefix = unique_prefix()
    group = f"{prefix}talent-crm.scout-followups"
    sent = await publish(prefix)
    process = await asyncio.create_subprocess_exec(
        NODE, str(SUBSCRIBER), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "KAFKA_BROKERS": SASL_BOOTSTRAP, "KAFKA_SASL_MECHANISM": "plain",
             "KAFKA_USERNAME": "operator", "KAFKA_PASSWORD": "operator-dev-password", "GROUP_ID": group,
             "TOPIC_PREFIX": prefix, "FROM_BEGINNING": "true", "SCHEMAS_DIR": str(ROOT / "docs/schemas")})
    try:
        lines = await read_until(process, lambda seen: sum("reaction" in x for x in seen) == 2
                                 and any("duplicate" in x for x in seen) and any("invalid" in x for x in seen))
        await asyncio.sleep(1.0)  # anything more it would say (it must not)
    finally:
        process.terminate()
        await process.wait()

    assert lines[0]["joined"] == group
    reactions = {x["reaction"]: x for x in lines if "reaction" in x}
    scout, offer = sent["scout"], sent["offer"]
    where = {k: reactions["scout-sent"].pop(k) for k in ("partition", "offset")}
    assert where["offset"].isdigit()
    assert reactions["scout-sent"] == {
        "topic": f"{prefix}scout.events", "key": "cand-1", "reaction": "scout-sent", "event_id": scout.id,
        "candidate_id": "cand-1", "company": scout.data["company_name"], "scout_id": scout.data["scout_id"]}
    assert (reactions["offer-issued"]["event_id"], reactions["offer-issued"]["offer_id"],
            reactions["offer-issued"]["key"]) == (offer.id, offer.data["offer_id"], offer.subject)
    assert [x["duplicate"] for x in lines if "duplicate" in x] == [scout.id]
    (invalid,) = [x["invalid"] for x in lines if "invalid" in x]
    assert invalid.startswith("ScoutSent: ") and "candidate_id" in invalid
    # ScoutViewed is not its business and schemaversion 2 is unknown to it: both passed over in silence
    assert len(lines) == 5
    assert await committed(group) == {f"{prefix}scout.events": 5, f"{prefix}messaging.events": 1}
