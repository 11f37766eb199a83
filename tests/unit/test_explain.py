"""`aftercart explain`: the decisions about an order or customer, in plain words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deciding import decide_now

from aftercart.explain import matches, timeline
from schemas.codec import new_event
from schemas.decision import DecisionRecord
from streams.records import decision_record, held_record

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ORDER = {
    "customer_id": "shop.example/customers/7",
    "order_id": "shop.example/orders/1001",
    "order_number": "#1001",
}


def records() -> list[DecisionRecord]:
    items = [{"sku": "A", "name": "Mug", "quantity": 1, "unit_price": "9.90"}]
    placed = new_event(
        "order.placed",
        {**ORDER, "currency": "EUR", "total": "9.90", "items": items},
        source="test",
        time=NOW,
    )
    profile = {"customer_id": ORDER["customer_id"], "email": "a@example.com"}
    refund = new_event(
        "order.refunded",
        {"order_id": ORDER["order_id"], "currency": "EUR", "amount": "9.90"},
        source="test",
        time=NOW.replace(hour=13),
    )
    return [
        decision_record(placed, decide_now(placed, profile, None), NOW),
        held_record(refund, "waiting", "waiting for order shop.example/orders/1001", NOW),
    ]


def test_an_order_is_found_by_id_number_or_the_ids_last_part() -> None:
    first = records()[0]
    for subject in ("shop.example/orders/1001", "#1001", "1001", "shop.example/customers/7", "7"):
        assert matches(first, subject), subject
    assert not matches(first, "1002")


def test_the_timeline_says_what_was_sent_what_was_not_and_why() -> None:
    text = "\n".join(timeline(records(), "#1001"))
    assert "order placed, order #1001" in text
    assert "email     sent (notification" in text
    assert "SMS       not sent: SMS was not chosen for order and delivery news" in text
    assert "web push  not sent: no push subscription" in text
    assert text.index("order placed") < text.index("refund")  # in event time order


def test_a_refund_waiting_for_its_order_is_explained() -> None:
    text = "\n".join(timeline(records(), "shop.example/orders/1001"))
    assert "refund" in text
    assert "held: waiting for order shop.example/orders/1001" in text


def test_an_unknown_subject_says_nothing_was_decided() -> None:
    assert "nothing decided yet" in timeline(records(), "9999")[0]


def test_waiting_and_cancelled_messages_read_in_plain_words() -> None:
    from test_schedules import EVENING, Customer, event  # one story, told by the timing tests

    customer = Customer()
    customer.send(event("fulfillment.out_for_delivery", EVENING))
    customer.send(event("fulfillment.delayed", EVENING + timedelta(hours=1)))
    customer.send(event("fulfillment.delivered", EVENING + timedelta(hours=12)))
    text = "\n".join(timeline(customer.records, "#1001"))
    assert "SMS       deferred until 2026-11-24 06:00:00 UTC: quiet hours (21:00-08:00" in text
    assert "out for delivery, order #1001\n    cancelled: by a delay notice" in text
    assert "review request, order #1001\n    deferred until 2026-12-01 09:00:00 UTC: 7 days" in text
