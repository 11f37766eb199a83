"""What the gateway does with an authentic request: publish once, or keep it as a dead letter.

Kept apart from HTTP so the rules read in one place: a 2xx only after Kafka acknowledged, a
redelivery publishes nothing, an unmappable payload is kept with its reason before the 422.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from ingest.dedupe import SeenEvents
from ingest.sink import Record
from ingest.web import Problem
from schemas.codec import encode
from schemas.deadletter import dead_letter
from schemas.events import CloudEvent
from schemas.topics import Topics

log = logging.getLogger(__name__)


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

    def _sink(self) -> Sink:
        if self.sink is None:
            raise Problem(503, "starting: not yet connected to Kafka")
        return self.sink

    async def publish(self, events: list[CloudEvent]) -> dict[str, object]:
        """Publish the events not published before; the answer to give the shop."""
        sink = self._sink()

        async def send(fresh: list[CloudEvent]) -> None:
            topic = self.topics.events
            await sink.send([Record(topic, e.partitionkey.encode(), encode(e)) for e in fresh])

        sent = await self.seen.publish_once(events, send)
        status = "accepted" if sent else "duplicate"
        self.counts[status] += 1
        return {"status": status, "events": [{"id": e.id, "type": e.type} for e in events]}

    async def keep(self, *, reason: str, origin: str, key: str, body: bytes) -> None:
        """Keep an authentic payload that cannot be mapped on the dead-letter topic."""
        record = dead_letter(
            reason=reason, stage="ingest", topic=origin, original=body, key=key.encode()
        )
        await self._sink().send([Record(self.topics.deadletter, key.encode(), encode(record))])
        self.counts["dead-lettered"] += 1
        log.warning("dead-lettered a %s payload from %s: %s", origin, key, reason)

    def ignore(self, origin: str, key: str, reason: str) -> dict[str, object]:
        """Record an authentic webhook that carries no customer news."""
        self.counts["ignored"] += 1
        log.info("ignored %s from %s: %s", origin, key, reason)
        return {"status": "ignored", "reason": reason}
