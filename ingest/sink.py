"""Kafka as the gateway sees it: send, and return only once the broker has acknowledged.

aiokafka's producer (acks=all, idempotent) runs on the gateway's own event loop and batches
what concurrent requests send; each request waits for its own acknowledgement only.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from broker.admin import is_ready


class KafkaUnavailable(Exception):
    """Kafka did not acknowledge in time: nothing was accepted, the sender should retry."""


@dataclass(frozen=True)
class Record:
    """One message for one topic."""

    topic: str
    key: bytes | None
    value: bytes


class KafkaSink:
    """A producer whose sends complete when the broker has acknowledged them."""

    def __init__(self, bootstrap: str, *, timeout_s: float) -> None:
        self.bootstrap = bootstrap
        self.timeout_s = timeout_s
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            client_id="aftercart-gateway",
            acks="all",
            enable_idempotence=True,
            linger_ms=1,  # 5 ms measured no less CPU and a p50 three times higher
            max_batch_size=1024 * 1024,
            request_timeout_ms=max(int(timeout_s * 1000), 1000),
        )
        self._checked_at = 0.0
        self._reachable = False

    async def start(self, topics: list[str]) -> None:
        """Connect and fetch the topics' metadata, so that no request waits for it."""
        await self.producer.start()
        try:
            for topic in topics:
                if not await self.producer.partitions_for(topic):
                    raise KafkaUnavailable(f"topic {topic} has no partitions")
        except BaseException:
            await self.producer.stop()
            raise
        self._reachable = True
        self._checked_at = time.monotonic()

    async def send(self, records: list[Record]) -> None:
        """Send the records in order and wait for every acknowledgement."""
        try:
            async with asyncio.timeout(self.timeout_s):
                acks = [
                    await self.producer.send(r.topic, key=r.key, value=r.value) for r in records
                ]
                await asyncio.gather(*acks)
        except (KafkaError, TimeoutError) as exc:
            self._reachable = False
            raise KafkaUnavailable(f"Kafka did not acknowledge: {type(exc).__name__}") from None

    async def reachable(self) -> bool:
        """Whether the broker answers now (asked at most once a second)."""
        if time.monotonic() - self._checked_at > 1.0:
            self._reachable = await asyncio.to_thread(is_ready, self.bootstrap, 2.0)
            self._checked_at = time.monotonic()
        return self._reachable

    async def stop(self) -> None:
        """Send what is queued and disconnect."""
        await self.producer.stop()
