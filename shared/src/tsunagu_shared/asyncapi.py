"""The AsyncAPI 3 document of Tsunagu's events, and the JSON Schemas published beside it.

`make docs` writes docs/asyncapi.yaml, docs/schemas/envelope.v1.json (the
CloudEvents envelope every record's value is) and docs/schemas/events/<Type>.v<N>.json
(each event's `data`, the same schema as its committed snapshot). Every message's
payload refers to those files, so a code generator or a validator in any language
works from the per-event schemas, and the document adds what only it can say:
servers and their security, topics with their partitions and retention, the record
key, the Kafka headers, and the consumer-group rules for subscribers.
"""

from typing import Any

import tsunagu_contracts

from tsunagu_shared.contracts import event_schema
from tsunagu_shared.envelope import CONTENT_TYPE, Envelope
from tsunagu_shared.events import EVENT_TYPES, DomainEvent
from tsunagu_shared.topics import ALL_TOPICS, CONSUMER_GROUPS, Topic, dlq_name, topic_name

KAFKA_BINDING = "0.5.0"
JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE_FILE = "schemas/envelope.v1.json"


def event_file(model: type[DomainEvent]) -> str:
    """Where an event's schema is published, relative to docs/asyncapi.yaml."""
    return f"schemas/events/{model.event_type}.v{model.schema_version}.json"


def envelope_schema() -> dict[str, Any]:
    schema = Envelope.model_json_schema(by_alias=True, mode="serialization")
    schema["properties"]["data"]["description"] = "the event: its schema is chosen by type and schemaversion"
    return {"$schema": JSON_SCHEMA, **schema, "title": "TsunaguEnvelope",
            "description": "A CloudEvents 1.0 structured-mode envelope (content type "
                           f"{CONTENT_TYPE}): the value of every record on Tsunagu's topics."}


def published_schemas() -> dict[str, dict[str, Any]]:
    """Path under docs/ -> JSON Schema, for every file `make docs` publishes beside the AsyncAPI document."""
    files = {ENVELOPE_FILE: envelope_schema()}
    for model in EVENT_TYPES.values():
        files[event_file(model)] = {"$schema": JSON_SCHEMA, **event_schema(model)}
    return files


def _servers() -> dict[str, Any]:
    return {
        "local": {
            "host": "127.0.0.1:19092",
            "protocol": "kafka",
            "description": "The development stack of `make up` (scripts/stack.py): PLAINTEXT, no credentials. "
                           "The same broker takes SASL/PLAIN on the port two above (user operator, "
                           "password operator-dev-password), to try client credentials locally.",
            "bindings": {"kafka": {"bindingVersion": KAFKA_BINDING}},
        },
        "production": {
            "host": "tsunagu-kafka-kafka-bootstrap.tsunagu.svc:9092",
            "protocol": "kafka",
            "description": "The Strimzi cluster tsunagu-kafka (namespace tsunagu): SASL_PLAINTEXT with SCRAM-SHA-512, "
                           "reachable from inside the Kubernetes cluster. Each subscriber has its own KafkaUser "
                           "(docs/subscribing.md); topics are created only by KafkaTopic resources.",
            "security": [{"$ref": "#/components/securitySchemes/scramSha512"}],
            "bindings": {"kafka": {"bindingVersion": KAFKA_BINDING}},
        },
    }


def _channel(topic: Topic) -> dict[str, Any]:
    on_topic = sorted(t for t, m in EVENT_TYPES.items() if topic_name(m.topic) == topic.name)
    return {
        "address": topic.name,
        "title": topic.name,
        "description": f"{topic.description}. Owner: {topic.owner}. Key: the event's subject (the aggregate id), "
                       "so the events of one aggregate are in one partition, in order.",
        "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in on_topic},
        "bindings": {"kafka": {
            "topic": topic.name,
            "partitions": topic.partitions,
            "replicas": 3,
            "topicConfiguration": {"cleanup.policy": ["delete"], "retention.ms": topic.retention_days * 86_400_000},
            "bindingVersion": KAFKA_BINDING,
        }},
    }


def _message(model: type[DomainEvent]) -> dict[str, Any]:
    event_type = model.event_type
    return {
        "name": event_type,
        "title": event_type,
        "summary": (model.__doc__ or event_type).strip().splitlines()[0],
        "contentType": CONTENT_TYPE,
        "headers": {
            "type": "object",
            "description": "Kafka record headers: they repeat the type and id so a router can filter without "
                           "parsing the value (CloudEvents structured mode: the attributes are in the value).",
            "required": ["content-type", "ce_type", "ce_id"],
            "properties": {
                "content-type": {"const": CONTENT_TYPE},
                "ce_type": {"const": event_type},
                "ce_id": {"type": "string", "format": "uuid", "description": "the envelope's id"},
            },
        },
        "payload": {
            "title": f"{event_type}Envelope",
            "allOf": [
                {"$ref": ENVELOPE_FILE},
                {"type": "object", "properties": {
                    "type": {"const": event_type},
                    "schemaversion": {"const": model.schema_version},
                    "subject": {"type": "string", "description": f"the event's {model.subject_field}"},
                    "data": {"$ref": event_file(model)},
                }},
            ],
        },
        "correlationId": {"$ref": "#/components/correlationIds/correlationid"},
        "bindings": {"kafka": {
            "key": {"type": "string", "description": f"the event's subject: its {model.subject_field}"},
            "bindingVersion": KAFKA_BINDING,
        }},
    }


def asyncapi_document() -> dict[str, Any]:
    """An AsyncAPI 3.0 document of every topic and the events on it."""
    channels = {topic.name: _channel(topic) for topic in ALL_TOPICS}
    for group in CONSUMER_GROUPS:
        channels[dlq_name(group)] = {
            "address": dlq_name(group),
            "description": f"Dead letters of Tsunagu's consumer group {group}: the original record, its reason in "
                           "dlq_* headers. Internal: a subscriber keeps its own dead letters.",
            "bindings": {"kafka": {"topic": dlq_name(group), "partitions": 1, "bindingVersion": KAFKA_BINDING}},
        }
    operations: dict[str, Any] = {}
    for topic in ALL_TOPICS:
        channel = {"$ref": f"#/channels/{topic.name}"}
        operations[f"publish.{topic.name}"] = {
            "action": "send", "channel": channel, "summary": f"{topic.owner} publishes (idempotent producer, acks=all)",
        }
        operations[f"subscribe.{topic.name}"] = {
            "action": "receive", "channel": channel,
            "summary": "A subscriber reads with its own consumer group",
            "description": "Use a group id of your own (`<team>.<purpose>`, never one of Tsunagu's); skip an event "
                           "whose id you have handled; ignore unknown fields, and types or versions you do not know.",
            "bindings": {"kafka": {
                "groupId": {"type": "string", "pattern": "^[a-z0-9-]+\\.[a-z0-9.-]+$",
                            "description": "your own group, named <team>.<purpose>"},
                "bindingVersion": KAFKA_BINDING,
            }},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Tsunagu events",
            "version": tsunagu_contracts.__version__,  # the contracts package's semantic version
            "description": "Every event Tsunagu publishes. Each record's value is a CloudEvents envelope "
                           f"({ENVELOPE_FILE}) whose `data` is the event (schemas/events/<Type>.v<N>.json). Fields are "
                           "never removed or retyped within a schema version; subscribers ignore unknown fields. "
                           "Compatibility policy: docs/events.md; how to subscribe: docs/subscribing.md.",
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": _servers(),
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": {t: _message(m) for t, m in sorted(EVENT_TYPES.items())},
            "securitySchemes": {
                "scramSha512": {"type": "scramSha512",
                                "description": "SCRAM-SHA-512: one KafkaUser per subscriber; its password is in the "
                                               "Secret of the same name, written by Strimzi's user operator."},
            },
            "correlationIds": {
                "correlationid": {"description": "Shared by every event one action caused (CloudEvents extension "
                                                 "attribute); causationid names the event that caused this one.",
                                  "location": "$message.payload#/correlationid"},
            },
        },
    }
