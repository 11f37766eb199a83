"""A small sample shop: customers in several languages, each with a chosen channel mix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.codec import new_event
from schemas.events import CloudEvent
from schemas.notification import notification_id
from streams.decide import category_of

SOURCE = "https://shop.example/aftercart-demo"
ABANDONED_AGO = timedelta(hours=2)
Subscribe = Callable[[str], dict[str, Any]]


@dataclass
class Customer:
    """One sample customer and the channels they chose for order news."""

    id: str
    first_name: str
    last_name: str
    language: str
    email: str
    phone: str | None = None
    channels: tuple[str, ...] = ("email",)
    accepts_marketing: bool = False
    story: tuple[str, ...] = ()


CUSTOMERS = [
    Customer(
        "cust-aino",
        "Aino",
        "Virtanen",
        "fi",
        "aino@example.fi",
        "+358401234567",
        ("email", "sms", "push"),
        story=(
            "order.placed",
            "order.paid",
            "fulfillment.shipped",
            "fulfillment.out_for_delivery",
            "fulfillment.delivered",
        ),
    ),
    Customer(
        "cust-emma",
        "Emma",
        "Smith",
        "en",
        "emma@example.co.uk",
        "+447700900123",
        ("email",),
        story=(
            "order.placed",
            "order.paid",
            "fulfillment.shipped",
            "fulfillment.delayed",
            "fulfillment.delivered",
        ),
    ),
    Customer(
        "cust-yuki",
        "Yuki",
        "Tanaka",
        "ja",
        "yuki@example.jp",
        None,
        ("email", "push"),
        story=("order.placed", "order.paid", "fulfillment.shipped"),
    ),
    Customer(
        "cust-andrei",
        "Andrei",
        "Popescu",
        "ro",
        "andrei@example.ro",
        "+40712345678",
        ("email", "sms"),
        story=("order.placed", "order.cancelled", "order.refunded"),
    ),
    Customer(
        "cust-bence",
        "Bence",
        "Nagy",
        "hu",
        "bence@example.hu",
        None,
        ("email",),
        accepts_marketing=True,
        story=("checkout.abandoned",),
    ),
    Customer(
        "cust-liga",
        "Līga",
        "Bērziņa",
        "lv",
        "liga@example.lv",
        "+37120000000",
        ("sms",),
        story=("order.placed", "fulfillment.shipped"),
    ),
]


@dataclass
class Expected:
    """A message the demo must see arrive."""

    customer: Customer
    channel: str
    event_type: str


@dataclass
class SampleRun:
    """The events to publish, in order, and the messages they must produce."""

    events: list[CloudEvent] = field(default_factory=list)
    expected: dict[str, Expected] = field(default_factory=dict)


def _order_data(customer: Customer, event_type: str, n: int) -> dict[str, Any]:
    order = {"customer_id": customer.id, "order_id": f"ord-{n}", "order_number": f"#{1000 + n}"}
    items = [
        {"sku": "MUG-01", "name": "Moomin mug", "quantity": 2, "unit_price": "19.90"},
        {"sku": "TEA-07", "name": "Sencha tea 100 g", "quantity": 1, "unit_price": "12.50"},
    ]
    tracking = {
        "fulfillment_id": f"ful-{n}",
        "carrier": "Posti",
        "tracking_number": f"JJFI{n:010d}",
        "tracking_url": f"https://tracking.example/JJFI{n:010d}",
    }
    by_type: dict[str, dict[str, Any]] = {
        "order.placed": {**order, "currency": "EUR", "total": "52.30", "items": items},
        "order.paid": {**order, "currency": "EUR", "amount": "52.30"},
        "order.cancelled": {**order, "reason": "customer request"},
        "order.refunded": {**order, "currency": "EUR", "amount": "52.30"},
        "fulfillment.shipped": {**order, **tracking, "estimated_delivery": "2026-11-27"},
        "fulfillment.out_for_delivery": {**order, **tracking},
        "fulfillment.delivered": {**order, **tracking},
        "fulfillment.delayed": {
            **order,
            **tracking,
            "reason": "weather",
            "new_estimated_delivery": "2026-11-30",
        },
        "checkout.abandoned": {
            "customer_id": customer.id,
            "checkout_id": f"chk-{n}",
            "currency": "EUR",
            "total": "39.80",
            "items": items[:1],
            "recovery_url": f"https://shop.example/checkout/chk-{n}",
        },
    }
    return by_type[event_type]


def build(subscribe: Subscribe, start: datetime | None = None) -> SampleRun:
    """Every customer's profile, preferences and order story, as events."""
    run = SampleRun()
    clock = start or datetime.now(UTC)

    def add(type_name: str, data: dict[str, Any]) -> CloudEvent:
        nonlocal clock
        clock += timedelta(milliseconds=1)
        event = new_event(type_name, data, source=SOURCE, time=clock)
        run.events.append(event)
        return event

    for n, c in enumerate(CUSTOMERS, start=1):
        add(
            "customer.upserted",
            {
                "customer_id": c.id,
                "email": c.email,
                "phone": c.phone,
                "first_name": c.first_name,
                "last_name": c.last_name,
                "language": c.language,
                "accepts_marketing": c.accepts_marketing,
            },
        )
        chosen = {ch: ch in c.channels for ch in ("email", "sms", "push")}
        # Quiet hours off: the sample's texts arrive whatever the hour the demo runs at
        # (`aftercart explain` shows quiet hours at work in the Shopify story).
        quiet = {"start": "00:00", "end": "00:00"}
        prefs: dict[str, Any] = {"customer_id": c.id, "transactional": chosen, "quiet_hours": quiet}
        if c.accepts_marketing:
            prefs["marketing"] = chosen
        add("preferences.updated", prefs)
        if "push" in c.channels:
            add("webpush.subscribed", {"customer_id": c.id, "subscription": subscribe(c.id)})
        for event_type in c.story:
            data = {k: v for k, v in _order_data(c, event_type, n).items() if v is not None}
            if event_type == "checkout.abandoned":
                # Left two hours ago: its first reminder is due as soon as the pipeline sees it.
                event = new_event(event_type, data, source=SOURCE, time=clock - ABANDONED_AGO)
                run.events.append(event)
                for channel in c.channels:
                    subject = f"checkout:{data['checkout_id']}:1"
                    nid = notification_id(subject, channel, "checkout.reminder")
                    run.expected[nid] = Expected(c, channel, "checkout.reminder")
                continue
            event = add(event_type, data)
            if category_of(event_type) is None:
                continue
            for channel in c.channels:
                nid = notification_id(event.id, channel, event_type)
                run.expected[nid] = Expected(c, channel, event_type)
    return run
