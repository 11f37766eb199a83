"""What a replay selects, and what the judge says each replayed notification comes to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from deciding import POLICY

from operate.replay import Judge, Tally
from operate.selection import About, Selection, about, source
from operate.state import Known
from schemas.codec import decode_notification, encode, new_event
from schemas.notification import NotificationRequest, Recipient, resend_id
from schemas.topics import Topics

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
TOPICS = Topics("shop", 2)


def request(customer: str = "c-1", template: str = "order.placed") -> NotificationRequest:
    return NotificationRequest(
        notification_id=f"n-{customer}",
        channel="email",
        template=template,
        language="en",
        customer_id=customer,
        event_id="e-1",
        event_type=template,
        event_time=NOW,
        recipient=Recipient(email="a@example.com"),
        data={"event": {"order_id": "shop/orders/1001", "order_number": "#1001"}},
        created_at=NOW,
    )


@pytest.mark.parametrize(
    ("name", "full"),
    [
        ("events", "shop.events"),
        ("notify.sms", "shop.notify.sms"),
        ("shop.notify.push", "shop.notify.push"),
    ],
)
def test_a_topic_is_named_short_or_in_full(name: str, full: str) -> None:
    assert source(name, TOPICS).name == full


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("deadletter", "aftercart dlq redrive"),
        ("decisions", "replay `events` to decide again"),
        ("orders", "unknown topic 'orders'; replayable: events, notify.email"),
    ],
)
def test_a_topic_that_cannot_be_replayed_says_why(name: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        source(name, TOPICS)


def test_an_order_is_named_by_id_its_last_part_or_number() -> None:
    found = about("notify", encode(request()))
    assert found is not None
    for order in ("shop/orders/1001", "1001", "#1001"):
        assert Selection(orders=frozenset({order})).takes(found), order
    assert not Selection(orders=frozenset({"1002"})).takes(found)


def test_customers_and_types_select_events() -> None:
    event = new_event(
        "order.paid",
        {
            "customer_id": "c-9",
            "order_id": "o-1",
            "order_number": "#1",
            "currency": "EUR",
            "amount": "1.00",
        },
        source="t",
    )
    found = about("events", encode(event))
    assert found == About("c-9", "o-1", "#1", "order.paid")
    assert Selection(customers=frozenset({"c-9"}), types=frozenset({"order.paid"})).takes(found)
    assert not Selection(types=frozenset({"order.placed"})).takes(found)
    assert about("events", b"\x00not json") is None


def test_a_record_that_cannot_be_read_is_taken_only_without_content_filters() -> None:
    # It cannot be about the customer, order or type asked for; a whole-topic replay takes it
    # (and it is dead-lettered again, as it was the first time).
    assert Selection().takes(None)
    assert Selection(since=NOW).takes(None)
    assert not Selection(customers=frozenset({"c-9"})).takes(None)
    assert not Selection(orders=frozenset({"#1"})).takes(None)
    assert not Selection(types=frozenset({"order.paid"})).takes(None)


def judge(known: Known, resend: str | None = None) -> Judge:
    return Judge(source("notify.email", TOPICS), known, POLICY, NOW, resend=resend, show=5)


def test_a_notification_already_sent_counts_as_such_and_is_put_back() -> None:
    known = Known(ledgers={"email": {"n-c-1": {"at": NOW.isoformat(), "id": "sg-1"}}})
    tally = Tally()
    assert judge(known).notification(encode(request()), tally) is not None
    assert (tally.already_sent, tally.would_send) == (1, 0)


def test_a_notification_switched_off_since_is_not_put_back() -> None:
    known = Known(preferences={"c-1": {"transactional": {"email": False}}})
    tally = Tally()
    assert judge(known).notification(encode(request()), tally) is None
    assert tally.suppressed == {"email is switched off for order and delivery news": 1}


def test_resend_puts_it_back_under_a_new_id_pointing_at_the_original() -> None:
    known = Known(ledgers={"email": {"n-c-1": {"at": NOW.isoformat(), "id": "sg-1"}}})
    tally = Tally()
    value = judge(known, resend="2").notification(encode(request()), tally)
    resent = decode_notification(value)
    assert resent.notification_id == resend_id("n-c-1", "2")
    assert resent.resend_of == "n-c-1"
    assert (tally.would_send, tally.already_sent) == (1, 0)
    assert tally.shown == [resent]
