"""The delivery ledger on the real broker: a channel worker killed under load and restarted, and
a replay of everything it already delivered, send nothing twice."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from stacks import order_placed, stack_settings
from test_pipeline import publish

from aftercart.stack import Stack
from bench.measure import wait_until
from broker.admin import forget_group, lag
from sandbox.client import SandboxClient
from schemas.codec import new_event
from schemas.events import CloudEvent
from schemas.notification import notification_id

CUSTOMERS = 300


@pytest.fixture
def stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Stack]:
    settings = stack_settings(kafka_bootstrap, tmp_path)
    with Stack(settings, tmp_path, own_broker=False) as running:
        running.start(("streams", "email"), gateway=False)
        yield running


def story(n: int) -> list[CloudEvent]:
    cid = f"led-{n}"
    order = {"customer_id": cid, "order_id": f"o-{n}", "order_number": f"#{n}"}
    items = [{"sku": "MUG", "name": "Mug", "quantity": 1, "unit_price": "9.00"}]
    return [
        new_event(
            "customer.upserted", {"customer_id": cid, "email": f"{cid}@example.com"}, source="t"
        ),
        new_event(
            "order.placed",
            {**order, "currency": "EUR", "total": "9.00", "items": items},
            source="t",
        ),
        new_event("order.paid", {**order, "currency": "EUR", "amount": "9.00"}, source="t"),
    ]


def email_worker(stack: Stack) -> None:
    child = next(c for c in stack.supervisor.children if c.name == "worker-email")
    child.process.kill()  # SIGKILL: no goodbye, no last commit
    child.process.wait()
    stack.supervisor.children.remove(child)


def lookups(sandbox: SandboxClient) -> int:
    """Email Activity requests the sandbox answered (the worker's `find`)."""
    stats = sandbox.request("GET", "/contracts/stats")
    return sum(t["count"] for key, t in stats.items() if key.endswith("GET /messages"))


def counts(sandbox: SandboxClient) -> Counter[str]:
    return Counter(m["notification_id"] for m in sandbox.messages(channel="email"))


def another_order(n: int) -> CloudEvent:
    return order_placed(f"led-{n}", f"o2-{n}", f"#2{n}", total="5.00", sku="CUP", name="Cup")


def emails(events: list[CloudEvent]) -> set[str]:
    return {notification_id(e.id, "email", e.type) for e in events if e.type.startswith("order.")}


def test_a_killed_and_a_replayed_email_worker_send_each_email_exactly_once(stack: Stack) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    events = [e for n in range(CUSTOMERS) for e in story(n)]
    wanted = emails(events)
    # SendGrid answers slowly, so that when the email worker is killed while it delivers,
    # dozens of emails are at SendGrid with their answers still to come
    sandbox.set_faults("email", {"latency_ms": 300})
    publish(stack, *events)
    wait_until(lambda: len(counts(sandbox)) >= len(wanted) // 3, 90, "a third delivered")
    email_worker(stack)
    sandbox.clear_faults()
    stack.start_workers(("email",))
    wait_until(lambda: wanted <= set(counts(sandbox)), 120, "every email", stack.check)
    # and it goes on delivering: a new order from 40 customers
    more = [another_order(n) for n in range(40)]
    publish(stack, *more)
    wanted |= emails(more)
    wait_until(lambda: wanted <= set(counts(sandbox)), 60, "the new orders' emails")
    time.sleep(2)  # anything sent twice would have arrived by now
    after_kill = counts(sandbox)
    # Every email reached the outbox exactly once, counted by notification id: those the
    # provider accepted while the worker died were looked up at SendGrid, not sent again.
    assert set(after_kill) == wanted
    assert [nid for nid, n in after_kill.items() if n > 1] == []
    # (and the restarted worker did have lost answers to ask about)
    assert lookups(sandbox) > 0

    # Replay: the same worker group forgotten, everything on the topic read again
    t = stack.topics
    group = t.channel_app_id("email")
    email_worker(stack)
    forget_group(stack.settings.kafka_bootstrap, group)
    stack.start_workers(("email",))
    wait_until(
        lambda: lag(stack.settings.kafka_bootstrap, group, t.notify("email")) == 0, 90, "replay"
    )
    assert counts(sandbox) == after_kill  # the ledger recognized every message
