"""Many records to one partition of several topics, handed to the producer as whole batches.

`AIOKafkaProducer.send` costs a future, a metadata lookup and a partitioner call per record,
which was the largest share of a policy batch's commit; the policy processor writes every
record of a batch to its own partition of each topic, so it can fill aiokafka's record batches
itself (`create_batch` / `send_batch`) and pay those once per batch. Order is kept per topic:
a topic's batches are sent one after the other. Inside a transaction, a batch that fails to
be written fails the transaction's commit, as a failed `send` does.
"""

from aiokafka import AIOKafkaProducer
from aiokafka.producer.message_accumulator import BatchBuilder


class PartitionBatches:
    """The records of one transaction for partition `partition` of each topic they name."""

    def __init__(self, producer: AIOKafkaProducer, partition: int) -> None:
        self._producer, self._partition = producer, partition
        self._open: dict[str, BatchBuilder] = {}

    async def add(self, topic: str, value: bytes, key: bytes) -> None:
        builder = self._open.get(topic)
        if builder is None:
            builder = self._open[topic] = self._producer.create_batch()
        if builder.append(timestamp=None, key=key, value=value) is None:  # full: send it, start the next
            await self._producer.send_batch(builder, topic, partition=self._partition)
            builder = self._open[topic] = self._producer.create_batch()
            if builder.append(timestamp=None, key=key, value=value) is None:
                raise ValueError(f"a record of {len(value)} bytes does not fit an empty batch of {topic}")

    async def flush(self) -> None:
        """Hand every batch still being filled to the producer (the transaction's commit sends them)."""
        open_batches, self._open = self._open, {}
        for topic, builder in open_batches.items():
            await self._producer.send_batch(builder, topic, partition=self._partition)
