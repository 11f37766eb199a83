"""A customer's messages stay in order across a retry, on the real broker: SendGrid (the
sandbox) fails only the first request. While that message waits on the retry topic, the same
customer's next email waits behind it, another customer's goes at once; and a later stage of
the same order (the shipment) ends a waiting confirmation, which is then never sent and which
`aftercart explain` reports as superseded.

The first retry is set to come after 5 to 10 s, so the later messages are surely decided while
the first one waits (the default, 0.5 to 1 s, could let it go before they arrive)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stacks import operator_env, order_placed, run_json, stack_settings, wait_committed
from test_pipeline import arrivals, customer, publish

from aftercart.stack import Stack
from bench.measure import wait_until
from broker.reading import read_topic
from sandbox.client import SandboxClient
from schemas.codec import decode_retry, new_event
from schemas.events import CloudEvent
from schemas.notification import notification_id

FAIL_FIRST = {"errors": {"503": 1.0}, "count": 1}


@pytest.fixture
def stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Stack]:
    settings = stack_settings(kafka_bootstrap, tmp_path, retry_first_s=10.0)
    with Stack(settings, tmp_path, own_broker=False) as running:
        running.start(("streams", "email"), gateway=False)
        yield running


def shipped(cid: str, order_id: str, number: str) -> CloudEvent:
    data = {"customer_id": cid, "order_id": order_id, "order_number": number}
    shipment = {"fulfillment_id": f"f-{order_id}", "carrier": "Posti", "tracking_number": "JJ1"}
    return new_event("fulfillment.shipped", data | shipment, source="test")


def email_id(event: CloudEvent, template: str) -> str:
    return notification_id(event.id, "email", template)


def accepted(sandbox: SandboxClient) -> dict[str, list[int]]:
    """The seq of each accepted email, by notification id."""
    seqs: dict[str, list[int]] = {}
    for m in sandbox.messages(status="accepted", fields=["seq", "notification_id"]):
        seqs.setdefault(m["notification_id"], []).append(m["seq"])
    return seqs


def faulted(sandbox: SandboxClient) -> int:
    return len(sandbox.messages(channel="email", status="faulted", fields=["seq"]))


def settle(stack: Stack) -> None:
    t = stack.topics
    pairs = [(t.channel_app_id("email"), topic) for topic in (t.notify("email"), t.retry("email"))]
    wait_committed(stack, pairs, 60, "the email worker to commit")


def test_a_customers_next_email_waits_behind_the_one_being_retried(stack: Stack) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    publish(stack, *[e for c in ("ord-a", "ord-c") for e in customer(c, "email", sandbox=sandbox)])
    # Given SendGrid failing the first email it gets, the customer's first order confirmation
    sandbox.set_faults("email", FAIL_FIRST)
    first = order_placed("ord-a", "o-a1", "#A1")
    publish(stack, first)
    wait_until(lambda: faulted(sandbox) == 1, 60, "the first email to fail")
    # When the same customer orders again, and another customer orders, while it waits
    second, other = order_placed("ord-a", "o-a2", "#A2"), order_placed("ord-c", "o-c1", "#C1")
    publish(stack, second, other)
    # Then the other customer's email goes at once, before the retried one
    ids = [email_id(e, "order.placed") for e in (first, second, other)]
    arrivals(sandbox, set(ids), timeout=90)
    settle(stack)
    seqs = accepted(sandbox)
    assert [len(seqs[nid]) for nid in ids] == [1, 1, 1]  # each exactly once
    assert seqs[ids[2]][0] < seqs[ids[0]][0]
    # And the customer's second email arrived after the first, having waited behind it on
    # the retry topic
    assert seqs[ids[0]][0] < seqs[ids[1]][0]
    retried = [
        decode_retry(r.value)
        for r in read_topic(stack.settings.kafka_bootstrap, stack.topics.retry("email"))
    ]
    behind = {r.request.notification_id for r in retried if r.attempts[-1].kind == "WaitingBehind"}
    assert behind == {ids[1]}


def test_a_shipment_supersedes_the_order_confirmation_waiting_for_its_retry(
    stack: Stack, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    publish(stack, *customer("ord-b", "email", sandbox=sandbox))
    # Given the order confirmation failing once, and waiting for its retry
    sandbox.set_faults("email", FAIL_FIRST)
    placed = order_placed("ord-b", "o-b1", "#B1")
    publish(stack, placed)
    wait_until(lambda: faulted(sandbox) == 1, 60, "the confirmation to fail")
    # When the order ships meanwhile
    parcel = shipped("ord-b", "o-b1", "#B1")
    publish(stack, parcel)
    # Then the shipment email arrives, and once the confirmation's retry came round it was
    # not sent: the customer hears of the shipment only
    arrivals(sandbox, {email_id(parcel, "fulfillment.shipped")}, timeout=90)
    settle(stack)
    confirmation = email_id(placed, "order.placed")
    wait_until(
        lambda: superseded_in_explain(stack, capsys, monkeypatch, confirmation), 60, "explain"
    )
    counts = Counter(
        m["notification_id"]
        for m in sandbox.messages(status="accepted", fields=["notification_id"])
    )
    assert counts[confirmation] == 0 and counts[email_id(parcel, "fulfillment.shipped")] == 1


def superseded_in_explain(
    stack: Stack, capsys: Any, monkeypatch: pytest.MonkeyPatch, nid: str
) -> bool:
    """Whether `aftercart explain --json` reports the message as superseded."""
    operator_env(stack, monkeypatch)
    found = run_json(capsys, "explain", "#B1")
    channels = [
        c for e in found["events"] for c in e["channels"] if c.get("notification_id") == nid
    ]
    return any(c.get("state") == "superseded" for c in channels)
