"""The products agent: bought-together counts in a faust GlobalTable (streams/together.py).

Purchase records are keyed by SKU, so one worker owns each product's entry and is its only
writer. The table is global: every worker of the stream processor also replays the other
workers' changelog partitions, so the customers agent finds any product's entry locally
whichever events partitions it has.

How faust-streaming 0.15.3 handles a GlobalTable, and what follows from it here:
- Its assignor gives every worker all changelog partitions as actives (all are read at start)
  and the ones it does not write as standbys, applied one record at a time after recovery.
- The table is co-partitioned with the purchases topic (same partition count; faust writes a
  key to the partition of the record being processed), so each worker writes only the
  changelog partitions of its own purchases partitions and never reads them back.
- faust's docstring suggests `partitions=1, recovery_buffer_size=1` against a recovery loop
  with several workers (faust-streaming issue 283). Not taken: with recovery_buffer_size=1
  faust resumes the worker's own changelog partitions after recovery and applies its own
  writes again as they come back, so a stale value can overwrite a newer one between two
  records of one product and lose a count; and one partition would not be co-partitioned
  with the purchases topic.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import faust

from schemas.codec import InvalidMessage, encode
from schemas.deadletter import dead_letter
from schemas.events import OrderPlaced
from schemas.topics import Topics
from streams.together import Entry, Lookup, fold, purchase_records, read_record

log = logging.getLogger(__name__)
Send = Callable[[str, bytes | None, bytes], Awaitable[None]]


async def publish_purchases(send: Send, topic: str, order: OrderPlaced) -> None:
    """Queue one purchase record per distinct SKU of the order with the caller's send."""
    for sku, record in purchase_records(order):
        await send(topic, sku.encode(), record)


def install_products(app: faust.App, topics: Topics) -> Lookup:
    """Declare the "together" GlobalTable and the agent that counts into it; return its lookup."""
    together = app.GlobalTable("together", partitions=topics.partitions)
    purchases = app.topic(topics.purchases)

    async def reject(message: faust.types.EventT, reason: str) -> None:
        letter = dead_letter(
            reason=reason,
            stage="streams",
            topic=message.message.topic,
            partition=message.message.partition,
            offset=message.message.offset,
            key=message.key,
            original=message.value,
        )
        await app.producer.send(
            topics.deadletter,
            message.key,
            encode(letter),
            partition=None,
            timestamp=None,
            headers=None,
        )
        log.warning("dead-lettered offset %s: %s", message.message.offset, reason)

    @app.agent(purchases)
    async def count_purchases(stream: faust.StreamT) -> None:
        async for message in stream.events():
            if not message.key:
                await reject(message, "purchase record without a SKU key")
                continue
            try:
                record = read_record(message.value)
            except InvalidMessage as exc:
                await reject(message, exc.reason)
                continue
            sku = message.key.decode()
            known = together.get(sku)
            counted = fold(known, record)
            if counted is not known:
                together[sku] = counted

    def lookup(sku: str) -> Entry | None:
        entry: Entry | None = together.get(sku)
        return entry

    return lookup
