"""How the operator tool reaches Kafka: connection settings, topic existence, one-line failures.

Reads never create topics. The broker may create a topic as a side effect of a
metadata request that names it (auto.create.topics.enable, and aiokafka always
asks for it), so every read first lists the cluster's topics (a request that
names none) and refuses a topic that is not there.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaConnectionError, KafkaError
from tsunagu_shared.settings import ServiceSettings


class CliError(Exception):
    """A failure the operator can act on: printed as one line, exit status `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class _LastKafkaError(logging.Handler):
    """Keeps aiokafka's last logged error: the cause (refused, wrong password) it does not put in the exception."""

    message: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.message = record.getMessage()


_last_error = _LastKafkaError(logging.ERROR)


def quiet_kafka_logs() -> None:
    # aiokafka logs every failed connection attempt; the tool says it once, in one line.
    kafka_log = logging.getLogger("aiokafka")
    kafka_log.addHandler(_last_error)
    kafka_log.propagate = False


def describe(error: BaseException, settings: ServiceSettings) -> str:
    """One line for an error raised while talking to Kafka."""
    where = f"Kafka at {settings.kafka_bootstrap} ({settings.kafka_security_protocol})"
    # 'Unable connect to "host:port": [Errno 111] Connect call failed ...' -> what follows the address
    cause = (_last_error.message or "").partition('": ')[2]
    if "SaslAuthenticationFailed" in cause or "Authentication failed" in cause:
        return f"authentication to {where} failed: {cause.rpartition(': ')[2]}"
    if isinstance(error, KafkaConnectionError):
        return f"cannot reach {where}" + (f": {cause}" if cause else "")
    if isinstance(error, FileNotFoundError) and settings.kafka_ssl_cafile:
        return f"CA file {settings.kafka_ssl_cafile} not found"
    detail = str(error).splitlines()[0] if str(error) else ""
    return f"{where}: {type(error).__name__}" + (f": {detail}" if detail else "")


@asynccontextmanager
async def consumer(settings: ServiceSettings) -> AsyncIterator[AIOKafkaConsumer]:
    """A started consumer with no subscription and no group (nothing committed)."""
    client = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False,
                              auto_offset_reset="earliest", request_timeout_ms=15_000,
                              **settings.kafka_client_options())
    try:
        await client.start()
    except BaseException:
        await client.stop()  # a client that failed to start still holds its connections
        raise
    try:
        yield client
    finally:
        await client.stop()


async def require_topic(client: AIOKafkaConsumer, topic: str, *, hint: str = "") -> list[TopicPartition]:
    """The topic's partitions, or a one-line failure when it is not on the broker (nothing is created)."""
    # The same all-topics metadata request as client.topics(), kept whole for the partition ids.
    cluster = await client._client.fetch_all_metadata()
    partitions = cluster.partitions_for_topic(topic)
    if not partitions:
        raise CliError(f"topic {topic} does not exist on the broker (nothing was created){hint}")
    return [TopicPartition(topic, p) for p in sorted(partitions)]


KafkaFailures = (KafkaError, OSError)
