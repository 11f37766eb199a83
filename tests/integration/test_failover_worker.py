"""Email failover through a running email worker on the real broker: while SendGrid answers
503, the sandbox's SMTP server gets the mail; once SendGrid answers again and the cooldown has
passed, SendGrid takes it back. Either way each notification arrives exactly once."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stacks import order_placed, stack_settings, wait_committed
from test_pipeline import arrivals, customer, publish

from aftercart.stack import Stack
from sandbox.client import SandboxClient
from schemas.events import CloudEvent
from schemas.notification import notification_id

CUSTOMERS = [f"fo-{n}" for n in range(5)]
FAILOVER_AFTER = 2
COOLDOWN_S = 3.0


@pytest.fixture
def stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Stack]:
    # The sandbox's SMTP server (on its own free port) is where the worker fails over to.
    settings = stack_settings(
        kafka_bootstrap,
        tmp_path,
        smtp_host="127.0.0.1",
        smtp_failover_after=FAILOVER_AFTER,
        smtp_failover_cooldown_s=COOLDOWN_S,
    )
    with Stack(settings, tmp_path, own_broker=False) as running:
        running.start(("streams", "email"), gateway=False)
        yield running


def order(cid: str, n: int) -> CloudEvent:
    return order_placed(cid, f"o-{cid}-{n}", f"#{n}")


def email_ids(orders: list[CloudEvent]) -> dict[str, CloudEvent]:
    return {notification_id(o.id, "email", "order.placed"): o for o in orders}


def provider(entry: dict[str, Any]) -> str:
    """Which provider accepted an outbox entry: the sandbox's SMTP server marks its own."""
    return str((entry.get("payload") or {}).get("provider", "sendgrid"))


def accepted(sandbox: SandboxClient) -> Counter[str]:
    """How many times each notification id was accepted, by either provider."""
    entries = sandbox.messages(channel="email", status="accepted", fields=["notification_id"])
    return Counter(m["notification_id"] for m in entries)


def settle(stack: Stack) -> None:
    """Wait until the stream and email workers have committed everything: nothing in flight."""
    t = stack.topics
    pairs = [(t.streams_app_id, t.events), (t.channel_app_id("email"), t.notify("email"))]
    wait_committed(stack, pairs, 30, "the workers to commit")


def delivered_once_through(
    stack: Stack, sandbox: SandboxClient, orders: list[CloudEvent], wanted: str
) -> None:
    """Each order's email reached its customer exactly once, through the `wanted` provider."""
    ids = email_ids(orders)
    got = arrivals(sandbox, set(ids), timeout=30)
    settle(stack)
    counts = accepted(sandbox)
    assert {nid: counts[nid] for nid in ids} == dict.fromkeys(ids, 1)
    assert {nid: provider(m) for nid, m in got.items()} == dict.fromkeys(ids, wanted)
    for nid, m in got.items():
        data = ids[nid].model_dump()["data"]
        assert m["recipient"] == f"{data['customer_id']}@example.com"
        assert data["order_number"] in m["subject"]


def test_smtp_carries_email_while_sendgrid_is_down_and_hands_it_back(stack: Stack) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    profiles = [e for cid in CUSTOMERS for e in customer(cid, "email", sandbox=sandbox)]

    # Given SendGrid answering every request 503
    sandbox.set_faults("email", {"errors": {"503": 1.0}})
    # When customers place orders
    while_down = [order(cid, 1) for cid in CUSTOMERS]
    publish(stack, *profiles, *while_down)
    # Then SendGrid was tried, and each email came once through SMTP instead
    delivered_once_through(stack, sandbox, while_down, "smtp")
    faulted = sandbox.messages(channel="email", status="faulted")
    assert len(faulted) >= FAILOVER_AFTER

    # Given SendGrid answering again, and the cooldown past since it last failed (the circuit
    # opened, or a probe failed, as its last faulted request was answered). The cooldown is a
    # span of time with nothing to observe meanwhile: this is the one sleep.
    sandbox.clear_faults("email")
    last_failure = max(m["received_at_ms"] for m in faulted) / 1000
    time.sleep(max(0.0, last_failure + COOLDOWN_S + 0.5 - time.time()))
    # When one customer orders, SendGrid is tried with that message and takes it (alone: while
    # a probe is with SendGrid, the messages beside it still go through SMTP)
    probe = [order(CUSTOMERS[0], 2)]
    publish(stack, *probe)
    delivered_once_through(stack, sandbox, probe, "sendgrid")
    # And from then on SendGrid has all the traffic again
    after = [order(cid, 3) for cid in CUSTOMERS]
    publish(stack, *after)
    delivered_once_through(stack, sandbox, after, "sendgrid")
    assert not sandbox.messages(channel="email", status="rejected")
    assert len(sandbox.messages(channel="email", status="faulted")) == len(faulted)
