"""`aftercart explain`: the decisions about an order or customer, in plain words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from deciding import decide_now

from aftercart.explain import matches, timeline
from schemas.codec import new_event
from schemas.decision import DecisionRecord
from schemas.receipt import DeliveryReceipt
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


def receipt(notification_id: str, status: str, at: datetime, **fields: Any) -> DeliveryReceipt:
    return DeliveryReceipt(
        receipt_id=f"r-{status}-{at.isoformat()}",
        provider="sendgrid",
        channel="email",
        status=status,  # type: ignore[arg-type]
        provider_status=status,
        at=at,
        notification_id=notification_id,
        customer_id=ORDER["customer_id"],
        **fields,
    )


def test_what_the_provider_reported_is_shown_under_the_message_sent() -> None:
    decisions = records()
    [sent] = [c for c in decisions[0].channels if c.outcome == "sent"]
    assert sent.notification_id is not None
    delivered = receipt(sent.notification_id, "delivered", NOW + timedelta(seconds=2))
    reports = [
        receipt(
            sent.notification_id,
            "bounced",
            NOW + timedelta(minutes=1),
            reason="550 5.1.1 user unknown",
        ),
        delivered,
        delivered,  # a redelivered callback is told once
        receipt("someone-elses-notification", "opened", NOW),
    ]
    lines = timeline(decisions, "#1001", reports)
    at = next(i for i, line in enumerate(lines) if "email     sent (notification" in line)
    assert lines[at + 1 : at + 3] == [
        "    email     delivered 2026-11-23 12:00:02 UTC",
        "    email     bounced 2026-11-23 12:01:00 UTC: 550 5.1.1 user unknown",
    ]
    assert "opened" not in "\n".join(lines)


def test_a_spam_report_reads_in_plain_words() -> None:
    decisions = records()
    [sent] = [c for c in decisions[0].channels if c.outcome == "sent"]
    assert sent.notification_id is not None
    text = "\n".join(timeline(decisions, "7", [receipt(sent.notification_id, "complained", NOW)]))
    assert "email     reported as spam 2026-11-23 12:00:00 UTC" in text
