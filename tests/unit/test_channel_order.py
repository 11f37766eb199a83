"""A customer's messages on a channel stay in order across retries, and a later stage of the
same order ends an earlier one that is still waiting (channels/order.py)."""

from __future__ import annotations

from datetime import timedelta

import orjson
from delivering import NOW, FakeEvent, FakeSender, delivery, request
from test_channel_retry import unavailable

from channels.ledger import is_sent, is_superseded
from channels.metrics import outcome_of
from channels.order import SUPERSEDES, turn
from schemas.codec import decode_notification, encode
from schemas.notification import NotificationRequest


def message(
    nid: str, template: str, order: str = "o1", customer: str = "c1"
) -> NotificationRequest:
    base = decode_notification(request(nid, customer))
    data = {**base.data, "event": {**base.data["event"], "order_id": order}}
    return base.model_copy(update={"template": template, "data": data})


def event(nid: str, template: str, order: str = "o1", customer: str = "c1") -> FakeEvent:
    return FakeEvent(encode(message(nid, template, order, customer)), customer.encode())


def test_a_later_stage_supersedes_earlier_ones_and_a_cancellation_the_unshipped_ones() -> None:
    assert "order.placed" in SUPERSEDES["fulfillment.delivered"]
    assert "fulfillment.out_for_delivery" in SUPERSEDES["fulfillment.delivered"]
    assert "fulfillment.delivered" not in SUPERSEDES["fulfillment.shipped"]
    assert SUPERSEDES["order.cancelled"] == {"order.placed", "order.paid"}
    assert "review.request" not in SUPERSEDES


def test_a_new_message_waits_behind_the_first_waiting_one_unless_it_supersedes_it() -> None:
    line = [
        {"n": "p", "o": "o1", "t": "order.placed", "due": (NOW + timedelta(seconds=5)).isoformat()}
    ]
    # Another order's message waits behind it, until it is due
    other = turn(line, message("x", "order.paid", order="o2"), NOW)
    assert not other.go and other.ahead == line[0] and other.until == NOW + timedelta(seconds=5)
    assert [e["n"] for e in other.line] == ["p", "x"]
    # The same order's shipment ends it and goes
    shipped = turn(line, message("s", "fulfillment.shipped"), NOW)
    assert shipped.go and shipped.superseded == line and shipped.line == []
    # ... but not while it is being sent
    busy = turn(line, message("s", "fulfillment.shipped"), NOW, busy=frozenset({"p"}))
    assert not busy.go and busy.superseded == []
    # A first one long past its time (its record gone) holds nobody up
    stale = [{**line[0], "due": (NOW - timedelta(hours=2)).isoformat()}]
    assert turn(stale, message("x", "order.paid", order="o2"), NOW).go


async def test_a_later_stage_ends_a_waiting_one_which_is_then_never_sent() -> None:
    # Given a provider that fails the order's payment receipt once
    sender = FakeSender({"paid": [unavailable()]})
    runner = delivery(sender)
    await runner.batch([event("paid", "order.paid")])
    assert sender.sent == [] and len(runner.retries) == 1
    # When the order's shipment comes while the receipt waits for its retry
    await runner.batch([event("shipped", "fulfillment.shipped")])
    # Then the shipment goes at once, and the receipt is superseded in the ledger
    assert sender.sent == ["shipped"]
    superseded = runner.ledger.entry("paid")
    assert is_superseded(superseded) and superseded is not None and superseded["by"] == "shipped"
    # And when the receipt's retry comes round it is not sent, and a decision says why
    outcomes = []
    for record in runner.retries:
        outcomes.append(await runner.delivery.handle_retry(record, runner.ledger))
    assert sender.sent == ["shipped"] and not is_sent(runner.ledger.entry("paid"))
    [outcome] = outcomes
    assert outcome_of(outcome) == "superseded" and outcome.suppressed is not None
    note = orjson.loads(outcome.suppressed)
    assert note["outcome"] == "suppressed" and "superseded by shipped" in note["reason"]
    assert runner.ledger.line("c1") == []


async def test_another_orders_message_waits_its_turn_and_both_arrive_in_order() -> None:
    sender = FakeSender({"o1-paid": [unavailable(), unavailable()]})
    runner = delivery(sender)
    await runner.batch([event("o1-paid", "order.paid"), event("o2-paid", "order.paid", "o2")])
    assert sender.sent == []
    while runner.retries:
        await runner.redeliver()
    assert sender.sent == ["o1-paid", "o2-paid"]
