"""Waiting messages live in Kafka: a stream worker killed with schedules pending loses none,
and each fires exactly once. The worker's clock is shifted forward at each restart
(settings.clock_shift_s), so the test never sleeps through hours and days."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from stacks import stack_settings
from test_pipeline import arrivals, publish

from aftercart.stack import Stack
from bench.measure import wait_until
from operate.sources import read_decisions
from runtime.child_env import settings_env
from sandbox.client import SandboxClient
from schemas.codec import new_event
from schemas.events import CloudEvent
from schemas.notification import notification_id

DAY = 86_400
CUSTOMERS = [f"sched-{n}" for n in range(4)]
ITEMS = [{"sku": "MUG", "name": "Mug", "quantity": 1, "unit_price": "19.90"}]


@pytest.fixture
def stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Stack]:
    # The cap has its own tests; here every reminder is due at once.
    settings = stack_settings(kafka_bootstrap, tmp_path, marketing_cap=10)
    with Stack(settings, tmp_path, own_broker=False) as running:
        running.start(("streams", "email"), gateway=False)
        yield running


def story(cid: str, now: datetime) -> list[CloudEvent]:
    """A customer who accepts offers by email, left a checkout half an hour ago and had an
    order delivered an hour ago."""
    order = {"customer_id": cid, "order_id": f"o-{cid}", "order_number": "#1001"}
    parcel = {**order, "fulfillment_id": f"f-{cid}", "tracking_number": "JJ1"}
    checkout = {
        "customer_id": cid,
        "checkout_id": f"k-{cid}",
        "currency": "EUR",
        "total": "19.90",
        "items": ITEMS,
        "recovery_url": f"https://shop.example/cart/{cid}",
    }
    placed = {**order, "currency": "EUR", "total": "19.90", "items": ITEMS}
    return [
        new_event(
            "customer.upserted",
            {"customer_id": cid, "email": f"{cid}@example.com", "accepts_marketing": True},
            source="test",
        ),
        new_event("order.placed", placed, source="test", time=now - timedelta(days=3)),
        new_event("fulfillment.delivered", parcel, source="test", time=now - timedelta(hours=1)),
        new_event("checkout.abandoned", checkout, source="test", time=now - timedelta(minutes=30)),
    ]


def kill_streams(stack: Stack) -> None:
    child = next(c for c in stack.supervisor.children if c.name == "worker-streams")
    child.process.kill()  # SIGKILL: no goodbye, no last commit
    child.process.wait()
    stack.supervisor.children.remove(child)


def restart_streams(stack: Stack, shift_s: float) -> None:
    shifted = stack.settings.model_copy(update={"clock_shift_s": shift_s})
    stack.supervisor.spawn_cli("worker-streams", ["worker", "streams"], settings_env(shifted))
    stack.wait_workers(("streams",))


def test_waiting_messages_survive_a_killed_worker_and_fire_exactly_once(stack: Stack) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    now = datetime.now(UTC)
    publish(stack, *(e for cid in CUSTOMERS for e in story(cid, now)))

    # Every customer has three messages waiting: two reminders and a review request.
    def waiting() -> int:
        records = read_decisions(stack.settings.kafka_bootstrap, stack.topics.decisions, 10)
        return sum(1 for r in records if r.outcome == "deferred")

    wait_until(lambda: waiting() == 3 * len(CUSTOMERS), 60, "the schedules", stack.check)
    reminders = {
        notification_id(f"checkout:k-{cid}:{n}", "email", "checkout.reminder")
        for cid in CUSTOMERS
        for n in (1, 2)
    }
    reviews = {notification_id(f"review:o-{cid}", "email", "review.request") for cid in CUSTOMERS}
    assert not reminders & sent_ids(sandbox)  # nothing is due yet

    kill_streams(stack)
    restart_streams(stack, shift_s=2 * DAY)  # two days later: both reminders are due
    arrivals(sandbox, reminders, timeout=90)
    assert not reviews & sent_ids(sandbox)

    kill_streams(stack)
    restart_streams(stack, shift_s=8 * DAY)  # a week after delivery: the review requests
    arrivals(sandbox, reviews, timeout=90)
    kill_streams(stack)
    restart_streams(stack, shift_s=9 * DAY)  # and again: nothing fires twice
    # The worker has caught up once it answers a new event of each customer. (Not "the group
    # has no lag": faust may take what it fetched before seeking to the committed offsets and
    # leave those offsets uncommitted until the partition's next message.)
    paid = [paid_event(cid) for cid in CUSTOMERS]
    publish(stack, *paid)
    arrivals(sandbox, {notification_id(e.id, "email", e.type) for e in paid}, timeout=90)
    counts = Counter(m["notification_id"] for m in sandbox.messages(channel="email"))
    assert {nid: counts[nid] for nid in reminders | reviews} == dict.fromkeys(
        reminders | reviews, 1
    )


def paid_event(cid: str) -> CloudEvent:
    order = {"customer_id": cid, "order_id": f"o2-{cid}", "order_number": "#1002"}
    return new_event("order.paid", {**order, "currency": "EUR", "amount": "5.00"}, source="test")


def sent_ids(sandbox: SandboxClient) -> set[str]:
    return {m["notification_id"] for m in sandbox.messages(channel="email")}
