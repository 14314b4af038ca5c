"""Topic administration: create what a stack needs, once, idempotently."""

from typing import Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from tsunagu_shared.topics import ALL_TOPICS, CONSUMER_GROUPS, INTERNAL_TOPICS, dlq_name, topic_name

log = structlog.get_logger(__name__)


# Changelogs keep each key's newest record for good (a prefixed name ends with the registry's name).
_COMPACTED_NAMES = tuple(t.name for t in ALL_TOPICS + INTERNAL_TOPICS if t.compacted)
_COMPACTED = {"cleanup.policy": "compact"}


def wanted_topics(prefix: str = "", partitions: int | None = None) -> dict[str, int]:
    """Topic name -> partition count, dead-letter topics included (`partitions` overrides the registry)."""
    wanted = {topic_name(t, prefix): partitions or t.partitions for t in ALL_TOPICS + INTERNAL_TOPICS}
    wanted.update({dlq_name(group, prefix): 1 for group in CONSUMER_GROUPS})
    return wanted


async def ensure_topics(
    bootstrap: str, topics: dict[str, int], replication: int = 1, options: dict[str, Any] | None = None
) -> None:
    """Create the topics that do not exist yet; leave the others alone."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000, **(options or {}))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name=name, num_partitions=partitions, replication_factor=replication,
                     topic_configs=_COMPACTED if name.endswith(_COMPACTED_NAMES) else None)
            for name, partitions in topics.items()
            if name not in existing
        ]
        if not missing:
            return
        try:
            await admin.create_topics(missing)
        except TopicAlreadyExistsError:
            pass  # another process created them between our list and create
        log.info("topics_created", topics=[t.name for t in missing])
    finally:
        await admin.close()
