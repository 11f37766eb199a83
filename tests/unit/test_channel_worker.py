"""The channel worker's delivery of a batch: retries, dead letters, per-customer order."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aftercart.settings import Settings
from channels.errors import PermanentError, RetriableError
from channels.messages import Receipt
from channels.worker import Delivery
from schemas.codec import encode
from schemas.notification import NotificationRequest, Recipient


@dataclass
class FakeMessage:
    topic: str = "aftercart.notify.email"
    partition: int = 0
    offset: int = 0


@dataclass
class FakeEvent:
    value: bytes
    key: bytes = b"c1"
    message: FakeMessage = field(default_factory=FakeMessage)


class FakeSender:
    """Records what it sent; fails according to a script of outcomes per notification."""

    channel = "email"

    def __init__(self, script: dict[str, list[Exception]] | None = None) -> None:
        self.script = script or {}
        self.sent: list[str] = []
        self.attempts: list[str] = []

    async def send(self, message: Any) -> Receipt:
        self.attempts.append(message.notification_id)
        failures = self.script.get(message.notification_id, [])
        if failures:
            raise failures.pop(0)
        await asyncio.sleep(0)  # let other customers interleave, as a network call would
        self.sent.append(message.notification_id)
        return Receipt("email", message.notification_id, "x")

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


async def no_sleep(seconds: float) -> None:
    pass


def delivery(sender: FakeSender, **overrides: Any) -> Delivery:
    return Delivery("email", Settings(**overrides), sender, sleep=no_sleep)


async def test_a_transient_failure_is_retried_until_it_goes_through() -> None:
    sender = FakeSender({"n1": [RetriableError("email", "503"), RetriableError("email", "429")]})
    dead = await delivery(sender).batch([FakeEvent(request("n1"))])
    assert dead == []
    assert sender.sent == ["n1"]
    assert sender.attempts == ["n1", "n1", "n1"]


async def test_exhausted_retries_dead_letter_the_message_with_its_history() -> None:
    failures: list[Exception] = [RetriableError("email", f"503 #{i}") for i in range(3)]
    sender = FakeSender({"n1": failures})
    raw = request("n1")
    dead = await delivery(sender, channel_max_attempts=3).batch([FakeEvent(raw)])
    record = json.loads(dead[0])
    assert record["stage"] == "channel-email"
    assert len(record["attempts"]) == 3
    assert base64.b64decode(record["original_b64"]) == raw
    assert sender.sent == []


async def test_a_permanent_failure_is_dead_lettered_at_once() -> None:
    sender = FakeSender({"n1": [PermanentError("email", "400 bad address", "400")]})
    dead = await delivery(sender).batch([FakeEvent(request("n1")), FakeEvent(request("n2", "c2"))])
    reasons = [json.loads(d)["reason"] for d in dead]
    assert len(reasons) == 1
    assert reasons[0].startswith("permanent") and "400 bad address" in reasons[0]
    assert sender.attempts.count("n1") == 1
    assert sender.sent == ["n2"]


async def test_bytes_that_are_not_a_notification_are_dead_lettered() -> None:
    dead = await delivery(FakeSender()).batch([FakeEvent(b"{not json")])
    assert "Invalid JSON" in json.loads(dead[0])["reason"]


async def test_one_customers_messages_keep_their_order() -> None:
    # Given a customer whose first message needs a retry, and other customers in the batch
    sender = FakeSender({"a1": [RetriableError("email", "503")]})
    batch = [FakeEvent(request(n, c)) for n, c in [("a1", "a"), ("b1", "b"), ("a2", "a")]]
    # When the batch is delivered
    await delivery(sender).batch(batch)
    # Then a1 still reaches the customer before a2
    assert sender.sent.index("a1") < sender.sent.index("a2")
