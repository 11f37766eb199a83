"""Publish CloudEvents onto aftercart's events topic, for shops that write to Kafka directly.

from ingest.publisher import EventPublisher
from schemas.codec import new_event

with EventPublisher("127.0.0.1:9092") as publisher:
    publisher.publish(new_event("order.paid", {...}, source="https://shop.example"))
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from kafka import KafkaProducer
from kafka.producer.future import FutureRecordMetadata

from schemas.codec import encode
from schemas.events import CloudEvent
from schemas.topics import Topics


class EventPublisher:
    """A kafka-python producer (acks=all, idempotent) keyed by each event's partitionkey."""

    def __init__(self, bootstrap: str, topics: Topics | None = None, **config: Any) -> None:
        self.topic = (topics or Topics()).events
        self.producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            **config,
        )
        self._pending: list[FutureRecordMetadata] = []

    def publish(self, event: CloudEvent) -> None:
        """Queue one event under its partitionkey (customer id, else order id), so that one
        customer's events stay in order."""
        self._pending.append(
            self.producer.send(self.topic, key=event.partitionkey.encode(), value=encode(event))
        )

    def publish_raw(self, key: bytes | None, value: bytes) -> None:
        """Queue bytes as they are (tools and tests that need a malformed message)."""
        self._pending.append(self.producer.send(self.topic, key=key, value=value))

    def flush(self, timeout: float = 30.0) -> None:
        """Block until the broker has acknowledged everything queued; raise if any send failed."""
        self.producer.flush(timeout)
        pending, self._pending = self._pending, []
        for future in pending:
            future.get(timeout=0)  # re-raises the broker's error for a failed send

    def close(self) -> None:
        """Flush and close the producer."""
        try:
            self.flush()
        finally:
            self.producer.close()

    def __enter__(self) -> EventPublisher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
