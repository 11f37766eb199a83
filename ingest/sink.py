"""Kafka as the gateway sees it: send, and return only once the broker has acknowledged.

kafka-python's producer (acks=all, idempotent) does the batching on its own IO thread; its
futures are bridged onto the event loop, so a request waits for its own acknowledgement
without blocking any other request.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

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
    """A producer whose sends complete when the broker acknowledged them."""

    def __init__(self, bootstrap: str, *, timeout_s: float, **config: Any) -> None:
        self.bootstrap = bootstrap
        self.timeout_s = timeout_s
        request_ms = max(int(timeout_s * 1000) - 500, 500)
        self.producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            client_id="aftercart-gateway",
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
            request_timeout_ms=request_ms,
            delivery_timeout_ms=request_ms + 10,
            max_block_ms=1000,
            **config,
        )
        self._ready_at = 0.0
        self._ready = False

    def warm(self, topics: list[str]) -> None:
        """Fetch the topics' metadata now, so that no request waits for it (blocking)."""
        for topic in topics:
            if not self.producer.partitions_for(topic):
                raise KafkaUnavailable(f"topic {topic} has no partitions")

    async def send(self, records: list[Record]) -> None:
        """Send the records in order and wait for every acknowledgement."""
        loop = asyncio.get_running_loop()
        acks: list[asyncio.Future[None]] = []
        try:
            for record in records:
                ack: asyncio.Future[None] = loop.create_future()
                pending = self.producer.send(record.topic, key=record.key, value=record.value)
                pending.add_both(_settle, loop, ack)
                acks.append(ack)
            async with asyncio.timeout(self.timeout_s):
                await asyncio.gather(*acks)
        except KafkaUnavailable:
            self._ready = False
            raise
        except (KafkaError, TimeoutError) as exc:
            self._ready = False
            raise KafkaUnavailable(f"Kafka did not acknowledge: {type(exc).__name__}") from None

    async def reachable(self) -> bool:
        """Whether the broker answers now (checked at most once a second)."""
        if time.monotonic() - self._ready_at > 1.0:
            self._ready = await asyncio.to_thread(is_ready, self.bootstrap, 2.0)
            self._ready_at = time.monotonic()
        return self._ready

    def close(self) -> None:
        """Flush what is queued and close."""
        self.producer.close(timeout=self.timeout_s)


def _settle(loop: asyncio.AbstractEventLoop, ack: asyncio.Future[None], outcome: Any) -> None:
    """Called on the producer's IO thread with record metadata or an exception."""
    error = outcome if isinstance(outcome, BaseException) else None
    loop.call_soon_threadsafe(_resolve, ack, error)


def _resolve(ack: asyncio.Future[None], error: BaseException | None) -> None:
    if ack.done():
        return
    if error is None:
        ack.set_result(None)
    else:
        ack.set_exception(KafkaUnavailable(f"Kafka refused the record: {error}"))
