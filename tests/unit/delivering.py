"""Hand-written fakes for the channel worker's tests: Kafka events, a scripted provider, time
that moves only when a test says, and a runner that plays the worker's two agents."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import orjson

from channels.delivery import Delivery
from channels.errors import RetriableError
from channels.ledger import Ledger
from channels.messages import Receipt
from channels.outcome import Outcome
from channels.pipeline import Pipeline
from channels.worker import by_customer, by_record
from runtime.settings import Settings
from schemas.codec import encode
from schemas.notification import NotificationRequest, Recipient

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NOTIFY = "aftercart.notify.email"
RETRY = "aftercart.retry.email"


@dataclass
class FakeMessage:
    topic: str = NOTIFY
    partition: int = 0
    offset: int = 0
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class FakeEvent:
    value: bytes
    key: bytes = b"c1"
    message: FakeMessage = field(default_factory=FakeMessage)


LOST = RetriableError("email", "TimeoutError: no answer", maybe_accepted=True)


class FakeSender:
    """Records what it sent; fails according to a script of outcomes per notification.

    A LOST in the script accepts the message and then loses the answer (a timeout)."""

    channel = "email"
    can_find = True

    def __init__(self, script: dict[str, list[Exception]] | None = None) -> None:
        self.script = script or {}
        self.sent: list[str] = []
        self.attempts: list[str] = []
        self.lookups: list[str] = []

    async def send(self, message: Any) -> Receipt:
        self.attempts.append(message.notification_id)
        failures = self.script.get(message.notification_id, [])
        if failures:
            failure = failures.pop(0)
            if failure is LOST:
                self.sent.append(message.notification_id)
            raise failure
        await asyncio.sleep(0)  # let other customers interleave, as a network call would
        self.sent.append(message.notification_id)
        return Receipt("email", message.notification_id, "x")

    async def find(self, message: Any, since: datetime) -> Receipt | None:
        self.lookups.append(message.notification_id)
        if message.notification_id in self.sent:
            return Receipt("email", message.notification_id, "x")
        return None

    async def close(self) -> None:
        pass


def request(nid: str, customer: str = "c1") -> bytes:
    return encode(
        NotificationRequest(
            notification_id=nid,
            channel="email",
            template="order.paid",
            language="en",
            customer_id=customer,
            event_id=f"e-{nid}",
            event_type="order.paid",
            event_time=datetime.now(UTC),
            recipient=Recipient(email=f"{customer}@example.com"),
            data={
                "customer": {"first_name": "Aino"},
                "shop": {"name": "S", "url": "https://s"},
                "event": {"order_number": "#1", "currency": "EUR", "amount": "1.00"},
            },
            created_at=datetime.now(UTC),
        )
    )


def customers(count: int) -> list[FakeEvent]:
    return [
        FakeEvent(request(f"n{i}", f"c{i}"), f"c{i}".encode(), FakeMessage(offset=i))
        for i in range(count)
    ]


class FakeTime:
    """A clock that moves only when the test advances it; sleep returns once it has."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now
        self.slept: list[float] = []
        self._sleepers: list[tuple[datetime, asyncio.Event]] = []

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        woken = asyncio.Event()
        self._sleepers.append((self.now + timedelta(seconds=seconds), woken))
        await woken.wait()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        for until, woken in self._sleepers:
            if until <= self.now:
                woken.set()
        self._sleepers = [(u, w) for u, w in self._sleepers if not w.is_set()]


async def no_sleep(seconds: float) -> None:
    pass


async def until(condition: Callable[[], bool], turns: int = 200) -> None:
    """Let the event loop run until `condition` holds (a few hundred turns at most)."""
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


class FakeChangelog:
    """The ledger's changelog: keeps each record; Kafka acknowledges each at once."""

    def __init__(self) -> None:
        self.records: list[tuple[int, str, dict[str, Any]]] = []
        self.tombstones: list[tuple[int, str]] = []

    async def write(self, partition: int, key: bytes, value: bytes | None) -> asyncio.Future[None]:
        if value is None:
            self.tombstones.append((partition, orjson.loads(key)))
        else:
            self.records.append((partition, orjson.loads(key), orjson.loads(value)))
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def states(self, nid: str) -> list[str]:
        """The states the ledger went through for this notification: sending, refused, at."""
        return [next(iter(value)) for _, key, value in self.records if key == nid]


def delivery(sender: FakeSender, **overrides: Any) -> Runner:
    return Runner(
        Delivery("email", Settings(**overrides), sender, sleep=no_sleep, clock=lambda: NOW)
    )


Handle = Callable[..., Awaitable[Outcome]]


@dataclass
class Runner:
    """Feeds events through pipelines the way the worker's two agents do, and keeps what they
    publish: ledger records, retry records (events on the retry topic) and dead letters."""

    delivery: Delivery
    acked: list[int] = field(default_factory=list)
    changelog: FakeChangelog = field(default_factory=FakeChangelog)
    retries: list[FakeEvent] = field(default_factory=list)  # published, not yet taken
    published: list[FakeEvent] = field(default_factory=list)  # every retry record ever

    def __post_init__(self) -> None:
        self.ledger = Ledger({}, self.changelog.write, self.delivery.clock)

    async def batch(self, events: list[FakeEvent], limit: int = 64) -> list[bytes]:
        """The deliver agent (each customer's in order); returns the dead letters."""
        return await self._run(events, self.delivery.handle, by_customer, limit)

    async def redeliver(self, limit: int = 64) -> list[bytes]:
        """The redeliver agent takes every retry record waiting; returns the dead letters."""
        taken, self.retries = self.retries, []
        return await self._run(taken, self.delivery.handle_retry, by_record, limit)

    async def settle(self, events: list[FakeEvent]) -> list[bytes]:
        """Deliver, then redeliver until no retry record is left; every dead letter."""
        dead = await self.batch(events)
        while self.retries:
            dead += await self.redeliver()
        return dead

    async def _run(
        self,
        events: list[FakeEvent],
        handle: Handle,
        key: Callable[[Any], bytes],
        limit: int,
    ) -> list[bytes]:
        pipeline, dead = Pipeline(limit), []

        async def job(event: FakeEvent) -> None:
            outcome = await handle(event, self.ledger)
            if outcome.retry is not None:
                at = FakeMessage(RETRY, event.message.partition, len(self.published))
                self.published.append(FakeEvent(outcome.retry, event.key, at))
                self.retries.append(self.published[-1])
            if outcome.dead is not None:
                dead.append(outcome.dead)
            self.acked.append(event.message.offset)

        for event in events:
            await pipeline.submit(key(event), partial(job, event))
        await pipeline.drain()
        return dead
