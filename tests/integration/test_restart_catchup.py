"""A killed worker's replacement catches up under load, on the real broker: while orders keep
coming at 60 events/s (about 110 notifications/s over three channels), the stream processor
and then a channel worker (email; the SMS and push workers are the same code, and `make
chaos` kills each of the four) are killed with SIGKILL and started again. The promise: within 30 s
of its start the replacement has committed everything that was on its topic when it started
(it caught up with the backlog its predecessor left), and in the end every notification arrived
exactly once (email and SMS; a push in flight at a kill may arrive twice under the same Topic,
tests/integration/test_kill_duplicates.py). The test prints each role's catch-up time."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from stacks import order_placed, stack_settings, wait_committed
from test_pipeline import customer, publish

from aftercart.stack import Stack
from bench.measure import wait_until
from broker.admin import _client, end_offsets
from ingest.publisher import EventPublisher
from sandbox.client import SandboxClient
from schemas.notification import notification_id

CHANNELS = ("email", "sms", "push")
ROLES = ("streams", *CHANNELS)
KILLED = ("streams", "email")
CUSTOMERS = 60
PER_S = 60
CATCH_UP_S = 30.0


@pytest.fixture
def stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Stack]:
    settings = stack_settings(
        kafka_bootstrap, tmp_path, push_allow_sandbox=True, sms_segments_per_s=0
    )
    with Stack(settings, tmp_path, own_broker=False) as running:
        running.start(ROLES, gateway=False)
        yield running


class Load:
    """Orders published at a steady rate from a thread, until stopped; what was published."""

    def __init__(self, stack: Stack, cids: list[str]) -> None:
        self.stack, self.cids = stack, cids
        self.sent: list[str] = []  # order event ids
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        with EventPublisher(self.stack.settings.kafka_bootstrap, self.stack.topics) as publisher:
            n, began = 0, time.monotonic()
            while not self._stop.is_set():
                cid = self.cids[n % len(self.cids)]
                event = order_placed(cid, f"o-{cid}-{n}", f"#{n}")
                publisher.publish(event)
                self.sent.append(event.id)
                n += 1
                self._stop.wait(max(0.0, began + n / PER_S - time.monotonic()))
            publisher.flush()


def source(stack: Stack, role: str) -> tuple[str, str]:
    """The consumer group and the topic a worker of this role reads first."""
    t = stack.topics
    if role == "streams":
        return t.streams_app_id, t.events
    return t.channel_app_id(role), t.notify(role)


def committed_past(stack: Stack, group: str, ends: dict[object, int]) -> bool:
    """Whether the group has committed at least `ends` on every partition."""
    with _client(stack.settings.kafka_bootstrap, 10.0) as admin:
        committed = admin.list_group_offsets({group: None}).get(group, {})
    return all(tp in committed and committed[tp].offset >= end for tp, end in ends.items())


def kill_and_restart(stack: Stack, role: str) -> float:
    """SIGKILL the role's worker, start another; seconds until it had committed everything
    that was on its topic when it started."""
    [child] = [c for c in stack.supervisor.children if c.name == f"worker-{role}"]
    child.process.kill()
    child.process.wait()
    stack.supervisor.children.remove(child)
    group, topic = source(stack, role)
    stack.start_workers((role,), wait=False)
    started = time.monotonic()
    ends = end_offsets(stack.settings.kafka_bootstrap, topic)
    wait_until(lambda: committed_past(stack, group, ends), 120, f"{role} to catch up", stack.check)
    return time.monotonic() - started


def test_each_killed_worker_catches_up_within_30_s_under_load(stack: Stack) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    cids = [f"rc-{n}" for n in range(CUSTOMERS)]
    profiles = [
        e
        for n, cid in enumerate(cids)
        for e in customer(cid, *CHANNELS, sandbox=sandbox, phone=f"+3584{n:08d}")
    ]
    publish(stack, *profiles)
    took: dict[str, float] = {}
    with Load(stack, cids) as load:
        wait_until(lambda: len(load.sent) >= PER_S * 3, 60, "the load to start")
        for role in KILLED:
            took[role] = kill_and_restart(stack, role)
    print(
        "\ncatch-up after kill -9, seconds: " + ", ".join(f"{r} {s:.1f}" for r, s in took.items())
    )
    assert all(s <= CATCH_UP_S for s in took.values()), took
    # And every notification arrived, email and SMS each exactly once
    ids = {c: {notification_id(e, c, "order.placed") for e in load.sent} for c in CHANNELS}
    every = set().union(*ids.values())

    def arrived() -> Counter[str]:
        got = sandbox.messages(status="accepted", fields=["notification_id"])
        return Counter(m["notification_id"] for m in got if m["notification_id"] in every)

    def missing() -> str:
        got = set(arrived())
        return ", ".join(f"{c} {len(ids[c] - got)} {sorted(ids[c] - got)[:3]}" for c in CHANNELS)

    try:
        wait_until(lambda: set(arrived()) == every, 120, "every notification", stack.check)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; missing: {missing()}") from None
    t = stack.topics
    pairs = [(t.channel_app_id(c), t.notify(c)) for c in CHANNELS]
    wait_committed(stack, pairs, 60, "the channel workers to commit")
    counts = arrived()
    twice = {c: sum(1 for nid in ids[c] if counts[nid] > 1) for c in CHANNELS}
    print(f"{len(load.sent)} orders; sent twice: {twice}")
    assert twice["email"] == 0 and twice["sms"] == 0
