"""Kafka helpers: the idempotent publisher, the consumer loop with dedupe and
dead-lettering, and topic administration."""

from tsunagu_shared.kafka.admin import ensure_topics
from tsunagu_shared.kafka.consumer import EventConsumer, PermanentError, TransientError
from tsunagu_shared.kafka.producer import EventPublisher

__all__ = ["EventConsumer", "EventPublisher", "PermanentError", "TransientError", "ensure_topics"]
