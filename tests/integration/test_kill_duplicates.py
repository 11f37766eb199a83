"""What a kill -9 of the channel workers can still cause: the email, SMS and push workers are
killed (SIGKILL) twice while they deliver 300 notifications each, and restarted. SendGrid and
Twilio are asked about every attempt whose answer was lost, so no email or SMS arrives twice;
a push service cannot be asked, so a push in flight at the kill arrives again, with the same
RFC 8030 Topic as the first (the push service replaces a copy still waiting for the browser,
and the service worker shows it under the same tag, replacing the first on screen).

The test prints how many notifications of each channel arrived twice: README's figures."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stacks import order_placed, stack_settings, wait_committed
from test_pipeline import customer, publish

from aftercart.stack import Stack
from bench.measure import wait_until
from sandbox.client import SandboxClient
from schemas.events import CloudEvent

CUSTOMERS = 300
CHANNELS = ("email", "sms", "push")
BUDGET_S = 90.0
# Each provider answers after this long, so that at a kill some of every channel's requests
# have reached the provider and their answers have not come back.
LATENCY_MS = 100


@pytest.fixture
def stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Stack]:
    settings = stack_settings(
        kafka_bootstrap,
        tmp_path,
        push_allow_sandbox=True,
        sms_segments_per_s=0,  # no sender's rate: the test is about kills, not Twilio's pace
        channel_lookup_after_s=1.0,  # the sandbox's lookups know a message once it answered
    )
    with Stack(settings, tmp_path, own_broker=False) as running:
        running.start(("streams", *CHANNELS), gateway=False)
        yield running


def shoppers(sandbox: SandboxClient) -> tuple[list[CloudEvent], list[CloudEvent]]:
    """Profiles and subscriptions of customers who chose every channel, and an order each."""
    profiles: list[CloudEvent] = []
    orders = []
    for n in range(CUSTOMERS):
        cid = f"kd-{n}"
        profiles += customer(cid, *CHANNELS, sandbox=sandbox, phone=f"+35840{n:07d}")
        orders.append(order_placed(cid, f"o-{cid}", f"#{n}"))
    return profiles, orders


def arrivals(sandbox: SandboxClient) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Each channel's accepted messages, grouped by notification id."""
    got: dict[str, dict[str, list[dict[str, Any]]]] = {c: defaultdict(list) for c in CHANNELS}
    fields = ["channel", "notification_id", "topic"]
    for m in sandbox.messages(status="accepted", fields=fields):
        got[m["channel"]][m["notification_id"]].append(m)
    return got


def delivered(sandbox: SandboxClient) -> int:
    """Notifications that reached their provider at least once, over every channel."""
    return sum(len(ids) for ids in arrivals(sandbox).values())


def kill_channel_workers(stack: Stack) -> None:
    """SIGKILL every channel worker: no goodbye, no last commit, no last ledger write."""
    for child in [c for c in stack.supervisor.children if c.name.startswith("worker-")]:
        if child.name.removeprefix("worker-") in CHANNELS:
            child.process.kill()
            child.process.wait()
            stack.supervisor.children.remove(child)


def test_a_kill_sends_no_email_or_sms_twice_and_a_second_push_shares_its_topic(
    stack: Stack,
) -> None:
    deadline = time.monotonic() + BUDGET_S

    def left() -> float:
        return max(deadline - time.monotonic(), 0.0)

    sandbox = SandboxClient(stack.settings.sandbox_url)
    profiles, orders = shoppers(sandbox)
    wanted = len(orders) * len(CHANNELS)
    for channel in CHANNELS:
        sandbox.set_faults(channel, {"latency_ms": LATENCY_MS})
    publish(stack, *profiles, *orders)
    # When every channel worker is killed twice, at a random point of the delivery each time
    for share in (random.uniform(0.15, 0.4), random.uniform(0.5, 0.75)):
        goal = wanted * share
        wait_until(lambda: delivered(sandbox) >= goal, left(), "deliveries", stack.check)  # noqa: B023
        kill_channel_workers(stack)
        stack.start_workers(CHANNELS, wait=False)
    # Then every notification arrives, and nothing more comes once the workers have caught up
    wait_until(lambda: delivered(sandbox) >= wanted, left(), "every notification", stack.check)
    t = stack.topics
    pairs = [(t.channel_app_id(c), t.notify(c)) for c in CHANNELS]
    pairs += [(t.channel_app_id(c), t.retry(c)) for c in CHANNELS]
    wait_committed(stack, pairs, left(), "the channel workers to commit")
    got = arrivals(sandbox)
    twice = {c: {nid: ms for nid, ms in got[c].items() if len(ms) > 1} for c in CHANNELS}
    print(f"\nkill -9 twice, {CUSTOMERS} per channel; notifications sent more than once: ", end="")
    print(", ".join(f"{c} {len(twice[c])}" for c in CHANNELS))
    assert {c: len(got[c]) for c in CHANNELS} == dict.fromkeys(CHANNELS, CUSTOMERS)
    # SendGrid and Twilio were asked about each attempt whose answer was lost
    assert twice["email"] == {} and twice["sms"] == {}
    # A push sent again carries the Topic of its first copy
    for copies in twice["push"].values():
        assert len({m["topic"] for m in copies}) == 1 and copies[0]["topic"]
