"""What the gateway does with an authentic request: publish once, or keep it as a dead letter.

Kept apart from HTTP so the rules read in one place: a 2xx only after Kafka acknowledged, a
redelivery publishes nothing, an unmappable payload is kept with its reason before the 422.
Kafka not acknowledging in time is a 503 for every route alike: nothing was accepted, retry.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import orjson

from ingest.dedupe import IdReused, SeenEvents
from ingest.mapping import Mapped, MappingError
from ingest.metrics import GatewayMetrics
from ingest.receipts import Receipts
from ingest.sink import KafkaUnavailable, Record
from ingest.web import Problem
from schemas.codec import encode
from schemas.deadletter import dead_letter
from schemas.events import CloudEvent
from schemas.topics import Topics

log = logging.getLogger(__name__)
T = TypeVar("T")


class Sink(Protocol):
    """Where accepted records go; `send` returns once they are acknowledged."""

    async def send(self, records: list[Record]) -> None:
        """Send in order; raise KafkaUnavailable when not acknowledged in time."""

    async def reachable(self) -> bool:
        """Whether the broker answers now."""


@dataclass
class Intake:
    """The gateway's state: where events go, what was seen, and what happened so far."""

    topics: Topics
    seen: SeenEvents
    sink: Sink | None = None
    counts: Counter[str] = field(default_factory=Counter)
    metrics: GatewayMetrics = field(default_factory=GatewayMetrics)

    async def accept(
        self, body: bytes, mapper: Callable[[Any], Mapped], *, origin: str, sender: str
    ) -> dict[str, object]:
        """A signed webhook's body: mapped and published, ignored, or kept with a 422."""
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as exc:  # also for nesting too deep
            raise Problem(400, f"malformed JSON: {exc}") from None
        try:
            mapped = mapper(payload)
        except MappingError as exc:
            await self.keep(reason=str(exc), origin=origin, key=sender, body=body)
            raise Problem(422, exc.reason, exc.field) from None
        if mapped.ignored is not None:
            return self.ignore(origin, sender, mapped.ignored)
        return await self.publish(mapped.events, source=origin.partition(" ")[0])

    async def publish(
        self, events: list[CloudEvent], *, source: str, strict: bool = False
    ) -> dict[str, object]:
        """Publish the events not published before; the answer to give the shop. `source`
        names the kind of sender (shopify, woocommerce, cloudevents, ...) for the metrics.
        `strict`: an id accepted before with other content is a 409, and nothing is sent."""
        sink = self._sink()

        async def send(fresh: list[CloudEvent]) -> None:
            topic = self.topics.events
            await sink.send([Record(topic, e.partitionkey.encode(), encode(e)) for e in fresh])
            self.metrics.published(source, fresh)

        try:
            sent = await _acknowledged(self.seen.publish_once(events, send, strict=strict))
        except IdReused as exc:
            details = {"id": exc.event.id, "source": exc.event.source}
            raise Problem(409, "id reused with different content", details=details) from None
        status = "accepted" if sent else "duplicate"
        self.counts[status] += 1
        return {"status": status, "events": [{"id": e.id, "type": e.type} for e in events]}

    async def publish_receipts(self, mapped: Receipts) -> dict[str, object]:
        """contact.failed first (de-duplicated like every event), then the receipts."""
        answer: dict[str, object] = {"status": "accepted" if mapped.receipts else "ignored"}
        if mapped.contact_failed:
            published = await self.publish(list(mapped.contact_failed), source="receipts")
            answer["events"] = published["events"]
        if mapped.receipts:
            topic = self.topics.receipts
            records = [Record(topic, r.key.encode(), encode(r)) for r in mapped.receipts]
            await _acknowledged(self._sink().send(records))
            self.counts["receipts"] += len(records)
        if mapped.ignored:
            self.counts["ignored"] += len(mapped.ignored)
            answer["ignored"] = mapped.ignored
        answer["receipts"] = [r.receipt_id for r in mapped.receipts]
        return answer

    async def keep(self, *, reason: str, origin: str, key: str, body: bytes) -> None:
        """Keep an authentic payload that cannot be mapped on the dead-letter topic."""
        record = dead_letter(
            reason=reason, stage="ingest", topic=origin, original=body, key=key.encode()
        )
        topic = self.topics.deadletter
        await _acknowledged(self._sink().send([Record(topic, key.encode(), encode(record))]))
        self.counts["dead-lettered"] += 1
        log.warning("dead-lettered a %s payload from %s: %s", origin, key, reason)

    def ignore(self, origin: str, key: str, reason: str) -> dict[str, object]:
        """Record an authentic webhook that carries no customer news."""
        self.counts["ignored"] += 1
        log.info("ignored %s from %s: %s", origin, key, reason)
        return {"status": "ignored", "reason": reason}

    def _sink(self) -> Sink:
        if self.sink is None:
            raise Problem(503, "starting: not yet connected to Kafka")
        return self.sink


async def _acknowledged(sending: Awaitable[T]) -> T:
    try:
        return await sending
    except KafkaUnavailable as exc:
        raise Problem(503, f"not accepted, retry later: {exc}") from None
