"""Synthetic shop traffic for the benchmark: customers with a channel mix, then orders."""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from schemas.codec import encode, new_event
from schemas.events import CloudEvent
from schemas.notification import notification_id

SOURCE = "https://bench.example"
ORDER_TYPES = ("order.placed", "order.paid", "fulfillment.shipped")
# Share of customers per channel choice: (channels, weight).
MIX: tuple[tuple[tuple[str, ...], int], ...] = (
    (("email",), 4),
    (("email", "sms"), 3),
    (("email", "sms", "push"), 3),
)


@dataclass(frozen=True)
class BenchCustomer:
    """A synthetic customer and the channels they chose."""

    id: str
    channels: tuple[str, ...]


NO_QUIET_HOURS = {"start": "00:00", "end": "00:00"}


def customers(count: int, seed: int = 7) -> list[BenchCustomer]:
    """`count` customers with the channel mix above."""
    rng = random.Random(seed)
    picks = rng.choices([m[0] for m in MIX], weights=[m[1] for m in MIX], k=count)
    return [BenchCustomer(f"bench-{i:06d}", picks[i]) for i in range(count)]


def phone_of(customer_id: str) -> str:
    """A mobile number of the customer's own (a shop's customers do not share one: a text's
    lookup at Twilio after a lost answer reads the number's most recent messages)."""
    digits = int(hashlib.sha256(customer_id.encode()).hexdigest(), 16) % 10**7
    return f"+35840{digits:07d}"  # 040: a Finnish mobile range, valid with any 7 digits


def setup_events(
    people: list[BenchCustomer], subscribe: Callable[[str], dict[str, Any]]
) -> list[CloudEvent]:
    """Profile, preferences and push subscription of every customer."""
    events = []
    for c in people:
        events.append(
            new_event(
                "customer.upserted",
                {
                    "customer_id": c.id,
                    "email": f"{c.id}@bench.example",
                    "phone": phone_of(c.id),
                    "first_name": "Bench",
                    "language": "en",
                },
                source=SOURCE,
            )
        )
        chosen = {ch: ch in c.channels for ch in ("email", "sms", "push")}
        # No quiet hours: every message is due now whatever the hour the bench runs at (the
        # rules are still evaluated for each message).
        prefs = {"customer_id": c.id, "transactional": chosen, "quiet_hours": NO_QUIET_HOURS}
        events.append(new_event("preferences.updated", prefs, source=SOURCE))
        if "push" in c.channels:
            events.append(
                new_event(
                    "webpush.subscribed",
                    {"customer_id": c.id, "subscription": subscribe(c.id)},
                    source=SOURCE,
                )
            )
    return events


def order_event(
    c: BenchCustomer, n: int, type_name: str, time: datetime | None = None
) -> CloudEvent:
    """One order event of a synthetic customer."""
    order = {"customer_id": c.id, "order_id": f"o-{n}", "order_number": f"#{n}"}
    data: dict[str, dict[str, Any]] = {
        "order.placed": {
            **order,
            "currency": "EUR",
            "total": "25.00",
            "items": [{"sku": "SKU-1", "name": "Thing", "quantity": 1, "unit_price": "25.00"}],
        },
        "order.paid": {**order, "currency": "EUR", "amount": "25.00"},
        "fulfillment.shipped": {
            **order,
            "fulfillment_id": f"f-{n}",
            "carrier": "Posti",
            "tracking_number": f"T{n}",
            "tracking_url": f"https://t.example/{n}",
        },
    }
    return new_event(type_name, data[type_name], source=SOURCE, time=time or datetime.now(UTC))


@dataclass
class Expectation:
    """What the sandbox must receive for a set of published events."""

    sent_at_ms: dict[str, float]  # notification id -> event creation time (epoch ms)
    channel_of: dict[str, str] = field(default_factory=dict)  # notification id -> channel

    def add(self, event: CloudEvent, channels: tuple[str, ...], at_ms: float | None = None) -> None:
        """Expect one notification per chosen channel for this event, created at `at_ms`."""
        created = at_ms if at_ms is not None else event.time.timestamp() * 1000
        for channel in channels:
            nid = notification_id(event.id, channel, event.type)
            self.sent_at_ms[nid] = created
            self.channel_of[nid] = channel


def orders(people: list[BenchCustomer], count: int) -> Iterator[tuple[BenchCustomer, int, str]]:
    """(customer, order number, event type) for `count` order events, round-robin."""
    cycle = itertools.cycle(people)
    for n in range(count):
        yield next(cycle), n, ORDER_TYPES[n % len(ORDER_TYPES)]


def encoded(event: CloudEvent) -> tuple[bytes, bytes]:
    """Kafka key and value of an event."""
    return event.partitionkey.encode(), encode(event)
