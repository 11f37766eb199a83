"""Publish each event once, however often the shop redelivers the webhook.

An event is known by its CloudEvents identity (source and id); the mappers derive ids from
what happened, so a redelivery carries the same identity. The gateway remembers the identities
it has had acknowledged for a window (Shopify retries for up to 48 hours). The memory is
rebuilt at start from the events topic itself, the one record of what was accepted, so a
restarted gateway still recognises a redelivery: nothing but Kafka holds the state.

With each identity it remembers a fingerprint of the event as published, so that a custom
shop reusing an id for other content is told (HTTP 409) instead of silently ignored. The
fingerprint is taken from the bytes on the topic, and leaves out a time the gateway assigned
(the sender gave none: its redelivery gets another), so it is the same after a restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

import orjson

from broker.reading import read_topic
from schemas.codec import encode
from schemas.events import CloudEvent

log = logging.getLogger(__name__)
Clock = Callable[[], float]


def identity(source: str, event_id: str) -> str:
    """What makes an event the same event (CloudEvents: source plus id)."""
    return f"{source}\n{event_id}"


def identity_of(event: CloudEvent) -> str:
    """The identity of a parsed event."""
    return identity(event.source, event.id)


class IdReused(Exception):
    """An event whose identity was accepted before with other content."""

    def __init__(self, event: CloudEvent) -> None:
        super().__init__(f"id {event.id} from {event.source} reused with different content")
        self.event = event


def fingerprint(envelope: dict[str, object]) -> bytes:
    """What an event says, as published: every attribute and the data, but a time the
    gateway assigned (the sender gave none)."""
    if envelope.get("timeassigned") is True:
        envelope = {k: v for k, v in envelope.items() if k not in ("time", "timeassigned")}
    return hashlib.blake2b(
        orjson.dumps(envelope, option=orjson.OPT_SORT_KEYS), digest_size=16
    ).digest()


def fingerprint_of(event: CloudEvent) -> bytes:
    """The fingerprint of a parsed event, read from the bytes it is published as."""
    return fingerprint(orjson.loads(encode(event)))


class SeenEvents:
    """Identities of events Kafka has acknowledged within the window, and those in flight."""

    def __init__(
        self, window_s: float, clock: Clock = time.time, *, max_entries: int = 1_000_000
    ) -> None:
        self.window_s = window_s
        self.clock = clock
        self.max_entries = max_entries  # past it the oldest are forgotten, whatever the window
        self._seen: dict[str, float] = {}
        self._prints: dict[str, bytes] = {}
        self._order: deque[tuple[float, str]] = deque()
        self._inflight: dict[str, asyncio.Future[None]] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, key: str) -> bool:
        # Expired entries are dropped only by add(): a quiet gateway must not keep them.
        return self._seen.get(key, -math.inf) >= self.clock() - self.window_s

    def add(self, key: str, at: float | None = None, print_: bytes | None = None) -> None:
        """Remember an acknowledged event (and its fingerprint, when known); the oldest fall
        out of the window."""
        at = self.clock() if at is None else at
        if print_ is not None:
            self._prints[key] = print_
        self._order.append((at, key))  # also when seen again, or it would never fall out
        self._seen[key] = max(at, self._seen.get(key, at))
        horizon = self.clock() - self.window_s
        while self._order and (self._order[0][0] < horizon or len(self._seen) > self.max_entries):
            at, old = self._order.popleft()
            last = self._seen.get(old)
            # An identity seen again later has a newer entry further on: only its last goes.
            if last is not None and (last < horizon or last == at):
                del self._seen[old]
                self._prints.pop(old, None)

    async def publish_once(
        self,
        events: list[CloudEvent],
        send: Callable[[list[CloudEvent]], Awaitable[None]],
        *,
        strict: bool = False,
    ) -> list[CloudEvent]:
        """Send the events not yet acknowledged; return what was sent (empty: all duplicates).

        A concurrent request with the same events waits for the one in flight, then sends only
        what that one did not get acknowledged. `strict`: an id accepted before with other
        content raises IdReused, and nothing is sent.
        """
        unique: dict[str, CloudEvent] = {}
        prints: dict[str, bytes] = {}
        for event in events:
            key = identity_of(event)
            if strict:
                print_ = fingerprint_of(event)
                if prints.setdefault(key, print_) != print_:
                    raise IdReused(event)  # one batch naming an id twice, differently
            unique.setdefault(key, event)  # a batch may name an event twice
        while True:
            fresh = [e for key, e in unique.items() if key not in self]
            busy = {id(f): f for e in fresh if (f := self._inflight.get(identity_of(e)))}
            if not busy:
                break
            await asyncio.wait(list(busy.values()))
        for key, print_ in prints.items():
            if key in self and self._prints.get(key, print_) != print_:
                raise IdReused(unique[key])
        if not fresh:
            return []
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        keys = [identity_of(e) for e in fresh]
        for key in keys:
            self._inflight[key] = done
        try:
            await send(fresh)
            for key in keys:
                self.add(key, print_=prints.get(key))
        finally:
            for key in keys:
                self._inflight.pop(key, None)
            done.set_result(None)
        return fresh


def body_key(body: bytes) -> str:
    """What identifies a signed webhook delivery: a digest of its body as signed, not the
    sender's unsigned delivery id, so that a captured body sent again under another id is
    still the same delivery, and a redelivery (same body) too."""
    return "body-" + hashlib.blake2b(body, digest_size=16).hexdigest()


def identity_in(value: bytes | None) -> str | None:
    """The identity of a raw CloudEvent on the topic; None for anything else."""
    entry = entry_in(value)
    return entry[0] if entry else None


def entry_in(value: bytes | None) -> tuple[str, bytes] | None:
    """The identity and fingerprint of a raw CloudEvent on the topic; None for anything else."""
    try:
        envelope = orjson.loads(value or b"")
        return identity(str(envelope["source"]), str(envelope["id"])), fingerprint(envelope)
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return None


def load_seen(bootstrap: str, topic: str, seen: SeenEvents, timeout_s: float = 60.0) -> int:
    """Fill `seen` from the events topic's last window; return how many records were read."""
    since_ms = int((seen.clock() - seen.window_s) * 1000)
    read = 0
    records = read_topic(
        bootstrap, topic, since_ms=since_ms, timeout_s=timeout_s, client_id="aftercart-dedupe"
    )
    for record in records:
        read += 1
        if (entry := entry_in(record.value)) is not None:
            seen.add(entry[0], record.timestamp / 1000, entry[1])
    return read
