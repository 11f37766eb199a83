"""Where the customers agent sends an event before deciding on it, and how a streams agent
dead-letters a message it cannot read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.codec import decode_event, encode, new_event
from schemas.events import CloudEvent
from schemas.topics import Topics
from streams.envelope import data_of, order_of
from streams.orders import read_index
from streams.rejects import as_received, read_or_reject
from streams.routing import Route, route

ITEMS = [
    {"sku": "MUG", "name": "Mug", "quantity": 2, "unit_price": "9.90"},
    {"sku": "TEA", "name": "Tea", "quantity": 1, "unit_price": "4.50"},
    {"sku": "MUG", "name": "Mug", "quantity": 1, "unit_price": "9.90"},
]
ORDER = {"order_id": "o1", "customer_id": "c1", "order_number": "#1001"}
PAYMENT = {"currency": "EUR", "amount": "1.00"}
ORDER_NEWS: dict[str, dict[str, Any]] = {
    "order.paid": PAYMENT,
    "order.refunded": PAYMENT,
    "order.cancelled": {},
    "fulfillment.shipped": {"fulfillment_id": "f1"},
    "fulfillment.delayed": {"fulfillment_id": "f1", "reason": "storm"},
}


def topics() -> Topics:
    return Topics("shop", 2)


def placed(items: list[dict[str, Any]]) -> CloudEvent:
    data = {**ORDER, "currency": "EUR", "total": "24.30", "items": items}
    return new_event("order.placed", data, source="test")


def test_an_event_about_the_customer_is_decided_on_at_once() -> None:
    # Given an event that is not about an order
    upserted = new_event("customer.upserted", {"customer_id": "c1"}, source="test")
    # When it is routed
    # Then nothing is sent ahead of it, and it is decided on
    assert route(upserted, encode(upserted), topics()) == Route()


def test_an_order_placed_is_indexed_counted_per_sku_and_decided_on() -> None:
    # Given an order of mugs (twice) and tea
    order = placed(ITEMS)
    # When it is routed
    where = route(order, encode(order), topics())
    # Then first the orders agent learns whose order it is, keyed by order
    (index_topic, index_key, index), *counted = where.records
    assert (index_topic, index_key) == ("shop.orders", b"o1")
    assert read_index(index) == {"customer_id": "c1", "order_number": "#1001"}
    # And the products agent gets one purchase record per distinct SKU, keyed by SKU
    assert [(topic, key) for topic, key, _ in counted] == [
        ("shop.purchases", b"MUG"),
        ("shop.purchases", b"TEA"),
    ]
    assert json.loads(counted[0][2])["with"] == {"TEA": "Tea"}
    # And the order is decided on
    assert where.decide


def test_an_order_of_one_product_pairs_it_with_nothing() -> None:
    order = placed(ITEMS[:1])
    assert [topic for topic, _, _ in route(order, encode(order), topics()).records] == [
        "shop.orders"
    ]


def test_a_refund_naming_only_its_order_goes_to_the_orders_agent_as_it_came() -> None:
    # Given a refund whose webhook named only the order
    data = {"order_id": "o1", "currency": "EUR", "amount": "9.90"}
    refund = new_event("order.refunded", data, source="test")
    raw = encode(refund)
    # When it is routed
    where = route(refund, raw, topics())
    # Then it goes, unchanged, to the orders topic under its order, and is not decided on here
    assert where == Route((("shop.orders", b"o1", raw),), decide=False)


def test_order_news_naming_its_customer_and_number_is_decided_on_at_once() -> None:
    data = {**ORDER, "fulfillment_id": "f1"}
    shipped = new_event("fulfillment.shipped", data, source="test")
    assert route(shipped, encode(shipped), topics()) == Route()


@given(
    kind=st.sampled_from(sorted(ORDER_NEWS)),
    customer=st.none() | st.just("c1"),
    number=st.none() | st.just("#1001"),
)
def test_order_news_waits_for_the_orders_agent_exactly_when_it_is_incomplete(
    kind: str, customer: str | None, number: str | None
) -> None:
    # Given order news that may lack its customer, its number, or both
    data: dict[str, Any] = {"order_id": "o1", **ORDER_NEWS[kind]}
    data |= {k: v for k, v in (("customer_id", customer), ("order_number", number)) if v}
    news = new_event(kind, data, source="test")
    # When it is routed
    where = route(news, b"raw", topics())
    # Then it is decided on here only when it names both; otherwise it only goes to the orders
    # agent, keyed by order
    complete = customer is not None and number is not None
    assert where.decide is complete
    assert where.records == (() if complete else (("shop.orders", b"o1", b"raw"),))


def test_the_order_fields_are_read_only_from_order_events() -> None:
    refund = new_event("order.paid", {**ORDER, "currency": "EUR", "amount": "1"}, source="test")
    upserted = new_event("customer.upserted", {"customer_id": "c1"}, source="test")
    order = order_of(refund)
    assert order is not None and order.order_id == "o1"
    assert order_of(upserted) is None


def test_an_envelope_without_a_data_model_is_a_bug_said_as_such() -> None:
    bare = CloudEvent.model_validate(
        {
            "specversion": "1.0",
            "id": "e1",
            "source": "test",
            "type": "order.placed",
            "time": "2026-11-23T12:00:00+00:00",
            "partitionkey": "c1",
        },
        strict=False,
    )
    with pytest.raises(TypeError, match=r"order\.placed event e1 has no data model"):
        data_of(bare)


@dataclass
class FakeMessage:
    value: bytes
    key: bytes = b"c1"


@dataclass
class FakeRejects:
    """Records what would have gone to the dead-letter topic, and why."""

    rejected: list[tuple[bytes, str]] = field(default_factory=list)

    async def __call__(self, message: Any, reason: str) -> None:
        self.rejected.append((message.value, reason))


async def test_a_message_that_cannot_be_read_is_dead_lettered_with_the_reason() -> None:
    # Given a message that is not a CloudEvent
    rejects = FakeRejects()
    # When an agent reads it
    read = await read_or_reject(FakeMessage(b"{not json"), decode_event, rejects)
    # Then it gets nothing, and the message is dead-lettered with the reader's reason
    assert read is None
    [(value, reason)] = rejects.rejected
    assert value == b"{not json" and "JSON" in reason


async def test_a_readable_message_is_read_and_nothing_is_dead_lettered() -> None:
    rejects = FakeRejects()
    event = placed(ITEMS)
    read = await read_or_reject(FakeMessage(encode(event)), decode_event, rejects)
    assert read == event
    assert rejects.rejected == []


async def test_an_event_produced_without_time_or_key_takes_the_records_time_and_key() -> None:
    # Given an event a shop produced onto Kafka itself, with neither time nor partitionkey
    raw = json.loads(encode(placed(ITEMS)))
    del raw["time"], raw["partitionkey"]
    record = FakeRecord(json.dumps(raw).encode(), timestamp=1_764_000_000.5)
    # When the agent reads it
    read = await read_or_reject(record, as_received(decode_event, record), FakeRejects())
    # Then its time is the record's, marked as assigned, and its key is the customer's
    assert read is not None
    assert read.time == datetime.fromtimestamp(1_764_000_000.5, UTC)
    assert read.timeassigned is True
    assert read.partitionkey == raw["data"]["customer_id"]


@dataclass
class FakeRecord:
    """A faust event whose Kafka record has a timestamp (seconds)."""

    value: bytes
    timestamp: float
    key: bytes = b"c1"

    @property
    def message(self) -> FakeRecord:
        return self


async def test_only_a_refusal_by_the_reader_dead_letters_a_message() -> None:
    # Given a reader that fails by a bug, not by refusing the message
    def broken(raw: bytes) -> object:
        raise KeyError("bug")

    # When an agent reads with it, then the failure is raised, not hidden in a dead letter
    rejects = FakeRejects()
    with pytest.raises(KeyError):
        await read_or_reject(FakeMessage(orjson.dumps({})), broken, rejects)
    assert rejects.rejected == []
