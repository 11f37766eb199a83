"""`aftercart explain`: the decisions about an order or customer, in plain words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from deciding import decide_now

from operate.explain import as_json, matches, timeline
from operate.history import History
from schemas.codec import encode, new_event
from schemas.deadletter import Attempt, DeadLetter, dead_letter
from schemas.decision import DecisionRecord
from schemas.notification import NotificationRequest, Recipient
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


def test_the_timeline_says_what_was_decided_what_was_not_and_why() -> None:
    text = "\n".join(timeline(records(), "#1001"))
    assert "order placed, order #1001" in text
    # decided on, but nothing yet says its provider took it: not "sent"
    assert "email     to be sent, no outcome yet (notification" in text
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


def story_of(decisions: list[DecisionRecord]) -> tuple[str, History]:
    """The email the first decision sent, and a history that knows the decisions."""
    [sent] = [c for c in decisions[0].channels if c.outcome == "sent"]
    assert sent.notification_id is not None
    history = History()
    for record in decisions:
        history.decision(record)
    return sent.notification_id, history


def test_what_the_provider_reported_is_shown_under_the_message_sent() -> None:
    decisions = records()
    nid, history = story_of(decisions)
    history.ledger(nid, {"at": (NOW + timedelta(seconds=1)).isoformat(), "id": "sg-1"})
    delivered = receipt(nid, "delivered", NOW + timedelta(seconds=2))
    bounced = receipt(nid, "bounced", NOW + timedelta(minutes=1), reason="550 5.1.1 user unknown")
    for report in (bounced, delivered, delivered, receipt("someone-else", "opened", NOW)):
        history.receipt(report)  # a redelivered callback is told once
    lines = timeline(decisions, "#1001", history)
    at = next(i for i, line in enumerate(lines) if "(notification" in line)
    assert lines[at].startswith("    email     sent, bounced (notification")
    assert lines[at + 1 : at + 4] == [
        "    email     accepted by the provider 2026-11-23 12:00:01 UTC: provider id sg-1",
        "    email     delivered 2026-11-23 12:00:02 UTC",
        "    email     bounced 2026-11-23 12:01:00 UTC: 550 5.1.1 user unknown",
    ]
    assert "opened" not in "\n".join(lines)


def test_a_spam_report_reads_in_plain_words() -> None:
    decisions = records()
    nid, history = story_of(decisions)
    history.receipt(receipt(nid, "complained", NOW))
    text = "\n".join(timeline(decisions, "7", history))
    assert "email     reported as spam 2026-11-23 12:00:00 UTC" in text


def test_a_dead_lettered_message_never_reads_as_sent() -> None:
    decisions = records()
    nid, history = story_of(decisions)
    history.dead_letter(dead_email(nid, "gave up after 2 attempts: 503 Service Unavailable"))
    text = "\n".join(timeline(decisions, "#1001", history))
    assert "email     NOT SENT, dead-lettered (notification" in text
    assert "email     attempt failed 2026-11-23 12:00:01 UTC: RetriableError: 503" in text
    assert "dead-lettered: gave up after 2 attempts: 503 Service Unavailable (" in text
    assert " sent (notification" not in text


def test_a_message_past_its_useful_life_reads_as_expired_not_sent() -> None:
    decisions = records()
    nid, history = story_of(decisions)
    history.ledger(nid, {"expired": (NOW + timedelta(hours=25)).isoformat(), "p": 0})
    text = "\n".join(timeline(decisions, "#1001", history))
    assert "email     NOT SENT, expired: past its useful life (notification" in text
    assert "email     expired unsent (past its useful life) 2026-11-24 13:00:00 UTC" in text
    assert history.known(nid).state == "expired" and history.known(nid).failed


def test_a_message_a_later_one_superseded_reads_as_not_sent_and_names_it() -> None:
    decisions = records()
    nid, history = story_of(decisions)
    at = (NOW + timedelta(minutes=5)).isoformat()
    history.ledger(nid, {"superseded": at, "by": "n-shipped", "p": 0})
    history.ledger("line:c1", {"line": [{"n": nid, "t": "order.placed", "due": at}], "p": 0})
    text = "\n".join(timeline(decisions, "#1001", history))
    assert "email     NOT SENT, superseded by a later message of its order (notification" in text
    assert "email     superseded, unsent, 2026-11-23 12:05:00 UTC: by n-shipped" in text
    assert history.known(nid).state == "superseded" and history.known(nid).failed
    assert "line:c1" not in text


def test_the_json_form_gives_each_messages_state_and_steps() -> None:
    decisions = records()
    nid, history = story_of(decisions)
    history.dead_letter(dead_email(nid, "permanent: 400 invalid address"))
    found = as_json(decisions, "#1001", history)
    assert found["found"] is True
    assert found["customers"] == [ORDER["customer_id"]]
    placed = found["events"][0]
    [email] = [c for c in placed["channels"] if c["channel"] == "email"]
    assert email["state"] == "dead-lettered"
    assert [s["kind"] for s in email["steps"]] == ["decided", "failed", "failed", "dead"]
    assert as_json(decisions, "nobody", history)["found"] is False


def dead_email(nid: str, reason: str) -> DeadLetter:
    """The email worker's dead letter of that email, after two failed attempts."""
    request = NotificationRequest(
        notification_id=nid,
        channel="email",
        template="order.placed",
        language="en",
        customer_id=ORDER["customer_id"],
        event_id="e-1",
        event_type="order.placed",
        event_time=NOW,
        recipient=Recipient(email="a@example.com"),
        data={},
        created_at=NOW,
    )
    attempts = [
        Attempt(at=NOW + timedelta(seconds=n), error="503", kind="RetriableError", code="503")
        for n in (1, 2)
    ]
    return dead_letter(
        reason=reason,
        stage="channel-email",
        topic="aftercart.notify.email",
        original=encode(request),
        attempts=attempts,
    )
