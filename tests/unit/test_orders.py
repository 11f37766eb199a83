"""Which customer an order event is for, when the shop's webhook names only the order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas.codec import new_event
from schemas.events import CloudEvent
from streams.orders import (
    MAX_WAITING,
    held_records,
    index_record,
    is_complete,
    learn,
    read_index,
    resolve,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ORDER = {"order_id": "shop/orders/1", "customer_id": "shop/customers/7", "order_number": "#1001"}


def placed() -> CloudEvent:
    items = [{"sku": "MUG", "name": "Mug", "quantity": 1, "unit_price": "9.90"}]
    data = {**ORDER, "currency": "EUR", "total": "9.90", "items": items}
    return new_event("order.placed", data, source="test")


def refund(n: int = 1) -> CloudEvent:
    data = {"order_id": ORDER["order_id"], "currency": "EUR", "amount": "9.90"}
    return new_event("order.refunded", data, source="test", event_id=f"refund-{n}")


def shipped() -> CloudEvent:
    data: dict[str, Any] = {
        "order_id": ORDER["order_id"],
        "order_number": "#1001",
        "fulfillment_id": "shop/fulfillments/3",
    }
    return new_event("fulfillment.shipped", data, source="test")


def test_a_refund_naming_only_the_order_is_completed_from_the_order() -> None:
    ids = read_index(index_record(placed()))
    assert ids == {"customer_id": ORDER["customer_id"], "order_number": "#1001"}
    learned = learn(ids, None)
    assert learned.ready == []  # the order itself was decided on already
    result = resolve(refund(), learned.state)
    [ready] = result.ready
    assert ready.partitionkey == ORDER["customer_id"]
    assert ready.data.customer_id == ORDER["customer_id"]  # type: ignore[attr-defined]
    assert ready.data.order_number == "#1001"  # type: ignore[attr-defined]
    assert is_complete(ready)


def test_an_event_before_its_order_waits_and_is_released_by_the_order() -> None:
    early = resolve(refund(), None)
    assert early.ready == []
    assert early.waiting is not None and "waiting for order" in early.waiting
    early_ship = resolve(shipped(), early.state)
    released = learn(read_index(index_record(placed())) or {}, early_ship.state)
    assert [e.type for e in released.ready] == ["order.refunded", "fulfillment.shipped"]
    assert all(e.partitionkey == ORDER["customer_id"] for e in released.ready)
    assert "waiting" not in (released.state or {})


def test_an_order_that_never_arrives_does_not_grow_without_bound() -> None:
    state = None
    for n in range(MAX_WAITING):
        result = resolve(refund(n), state)
        state = result.state or state
    overflow = resolve(refund(999), state)
    assert overflow.dropped is not None and "never arrived" in overflow.dropped
    assert overflow.ready == []


def test_a_known_order_changes_no_state_when_told_again() -> None:
    ids = read_index(index_record(placed())) or {}
    state = learn(ids, None).state
    assert learn(ids, state).state is None


def test_an_event_is_never_mistaken_for_an_index_record() -> None:
    assert read_index(refund().model_dump_json().encode()) is None


def test_later_parcel_news_links_to_the_tracking_the_shipment_gave() -> None:
    state = learn(read_index(index_record(placed())) or {}, None).state
    tracking = {"carrier": "Posti", "tracking_number": "JJFI1", "tracking_url": "https://t/JJFI1"}
    parcel = {"order_id": ORDER["order_id"], "fulfillment_id": "shop/fulfillments/3"}
    shipped_event = new_event("fulfillment.shipped", parcel | tracking, source="test")
    after_ship = resolve(shipped_event, state)
    delivered = new_event("fulfillment.delivered", parcel, source="test")
    [ready] = resolve(delivered, after_ship.state).ready
    assert ready.data.tracking_url == "https://t/JJFI1"  # type: ignore[attr-defined]
    assert ready.data.carrier == "Posti"  # type: ignore[attr-defined]


def test_an_event_waiting_for_its_order_is_recorded_as_waiting_under_the_order() -> None:
    # Given a refund that came before its order
    early = refund()
    result = resolve(early, None)
    # When the orders agent tells the decisions topic
    [record] = held_records(early, result, NOW)
    # Then it says the refund waits, and why, for the order (no customer known yet)
    assert (record.outcome, record.reason) == ("waiting", result.waiting)
    assert (record.event_id, record.order_id, record.customer_id) == (
        early.id,
        "shop/orders/1",
        None,
    )
    assert record.at == NOW


def test_an_event_dropped_for_an_order_that_never_came_is_recorded_as_dropped() -> None:
    # Given an order whose events already fill the waiting room
    state = None
    for n in range(MAX_WAITING):
        state = resolve(refund(n), state).state or state
    # When one more comes
    late = refund(999)
    [record] = held_records(late, resolve(late, state), NOW)
    # Then it is recorded as dropped, with the reason
    assert record.outcome == "dropped"
    assert record.reason is not None and "never arrived" in record.reason


def test_nothing_is_recorded_for_events_that_go_on() -> None:
    ids = read_index(index_record(placed())) or {}
    completed = resolve(refund(), learn(ids, None).state)
    assert held_records(refund(), completed, NOW) == []
