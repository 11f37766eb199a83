"""The products agent: bought-together counts (streams/together.py), readable on every worker.

Purchase records are keyed by SKU, so one worker owns each product's entry and is its only
writer: the agent folds each record into a plain faust Table "together", whose changelog faust
keeps and recovers like the other tables'. Every worker also reads that changelog, every
partition, with its own consumer outside the consumer group (a Replica), and the lookup reads
the replica: any product's entry is local to every worker, a moment behind its writer. This is
what Kafka Streams calls a GlobalKTable, and what faust's GlobalTable should be, but is not in
faust-streaming 0.15.3 (measured on the local broker):

- Its assignor makes every changelog partition "active" on every worker, and recovery applies
  active records recovery_buffer_size (1000) at a time, standbys included. Another worker's
  writes arrive in batches of 1000: after 1,300 orders of A+B (2,600 changelog records) the
  worker not owning A still said 1,000 a minute later, and after three orders it said nothing.
- faust's docstring suggests `partitions=1, recovery_buffer_size=1` (faust-streaming issue
  283). Then each worker also reads its own writes back from the changelog and applies them as
  they come, so a stale value overwrites a newer one and the next record is folded into it:
  one worker, 1,500 orders of A+B, every record consumed, counted 3. One partition would also
  not match the purchases topic's partitions, which faust refuses (PartitionsMismatch) for a
  table an agent writes.

The replica is the app's first dependency and reads the changelog to its end before faust's
consumer even joins the group, so a restarted worker suggests from complete counts from its
first event.
It keeps each entry as the changelog's bytes and decodes the few a message asks for.
"""

from __future__ import annotations

import logging

import faust
import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from mode import Service

from schemas.topics import Topics
from streams.rejects import read_or_reject, rejecter
from streams.together import Entry, Lookup, fold, read_record

log = logging.getLogger(__name__)


class Replica(Service):
    """Every partition of a table's changelog, read outside the consumer group into memory."""

    def __init__(self, bootstrap: str, topic: str, partitions: int) -> None:
        super().__init__()
        self.bootstrap, self.topic, self.partitions = bootstrap, topic, partitions
        self.entries: dict[str, bytes] = {}
        self.consumer: AIOKafkaConsumer | None = None

    def get(self, key: str) -> Entry | None:
        """The entry of one key, as its writer last wrote it; None if there is none."""
        raw = self.entries.get(key)
        return None if raw is None else orjson.loads(raw)

    async def on_start(self) -> None:
        """Read the changelog up to its end before the app goes on starting."""
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await self.consumer.start()
        tps = [TopicPartition(self.topic, p) for p in range(self.partitions)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_beginning(*tps)
        ends = await self.consumer.end_offsets(tps)
        behind = {tp for tp, end in ends.items() if end > 0}
        while behind:
            self._apply(await self.consumer.getmany(*behind, timeout_ms=1000))
            for tp in list(behind):
                if await self.consumer.position(tp) >= ends[tp]:
                    behind.discard(tp)
        log.info("replica of %s caught up: %d entries", self.topic, len(self.entries))

    @Service.task
    async def _follow(self) -> None:
        assert self.consumer is not None
        while not self.should_stop:
            self._apply(await self.consumer.getmany(timeout_ms=1000))

    async def on_stop(self) -> None:
        """Close the consumer."""
        if self.consumer is not None:
            await self.consumer.stop()

    def _apply(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        for records in batches.values():
            for record in records:
                key = orjson.loads(record.key)  # faust's json key serializer
                if record.value is None:
                    self.entries.pop(key, None)
                else:
                    self.entries[key] = record.value


def install_products(app: faust.App, topics: Topics) -> Lookup:
    """Declare the "together" table, the agent that counts into it and its replica; return
    a lookup of any product's entry."""
    together = app.Table("together", partitions=topics.partitions)
    purchases = app.topic(topics.purchases)
    bootstrap = ",".join(f"{url.host}:{url.port}" for url in app.conf.broker)
    replica = Replica(bootstrap, topics.changelog("together"), topics.partitions)
    app.add_dependency(replica)
    reject = rejecter(app, topics)

    @app.agent(purchases)
    async def count_purchases(stream: faust.StreamT) -> None:
        async for message in stream.events():
            if not message.key:
                await reject(message, "purchase record without a SKU key")
                continue
            record = await read_or_reject(message, read_record, reject)
            if record is None:
                continue
            sku = message.key.decode()
            known = together.get(sku)
            counted = fold(known, record)
            if counted is not known:
                together[sku] = counted

    return replica.get
