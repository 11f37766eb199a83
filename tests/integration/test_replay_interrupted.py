"""A replay stopped with Ctrl-C on the real broker: it exits 130 and says, per partition, where
it stopped; going on from there sends what it had not sent yet, and running the whole replay
once more sends nothing twice.

The replay runs as its own process, as an operator runs it, and gets SIGINT once the first
records it put back are on the broker. It puts each partition's records back in offset order,
so a stopped replay has put back the start of each partition: every customer's profile and
first order come first and the last order last, with thousands of profile updates between
(decided again, nothing to send). The replay runs at `--rate 1000`, so it is still busy with
those when stopped, on any machine: some customers have heard again and some not."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from stacks import order_placed, run_json, started
from test_pipeline import arrivals, customer, publish
from test_replay import accepted, settle

from aftercart.stack import Stack
from bench.measure import wait_until
from broker.admin import end_offsets
from operate.selection import parse_offset
from sandbox.client import SandboxClient
from schemas.codec import new_event
from schemas.events import CloudEvent
from schemas.notification import notification_id, resend_id

CUSTOMERS = tuple(f"ri-{n}" for n in range(1, 5))
UPDATES = 5_000  # profile updates between the first and the last orders
RATE = 1_000  # records put back a second: the replay takes 5 s at least, however fast the machine
STOPPED = re.compile(r"aftercart replay: stopped; to go on: --from-offset for each of (.+)$", re.M)


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with started(
        kafka_bootstrap, tmp_path_factory.mktemp("replay-interrupted"), ("streams", "email")
    ) as running:
        yield running


def on_events(stack: Stack) -> dict[int, int]:
    """The events topic's end offset per partition."""
    ends = end_offsets(stack.settings.kafka_bootstrap, stack.topics.events)
    return {tp.partition: offset for tp, offset in ends.items()}


def profile_update(cid: str) -> CloudEvent:
    return new_event(
        "customer.upserted", {"customer_id": cid, "first_name": cid.title()}, source="test"
    )


def stopped_midway(argv: list[str], done: Callable[[], bool]) -> tuple[int, Any, str]:
    """Run `aftercart ARGV --json` in its own process and press Ctrl-C (SIGINT) once `done`;
    its exit code, its summary and what it said on stderr."""
    command = [str(Path(sys.executable).with_name("aftercart")), *argv, "--json"]
    with subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:

        def still_running() -> None:
            if process.poll() is not None:
                said = process.stderr.read() if process.stderr else ""
                raise AssertionError(f"the replay ended ({process.returncode}) before: {said}")

        try:
            wait_until(done, 60, "the replay to put records back", still_running)
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
    return process.returncode, json.loads(out), err


def test_a_stopped_replay_goes_on_from_where_it_says_and_sends_nothing_twice(
    stack: Stack, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    # Given customers whose first and last orders were confirmed, many profile updates between
    profiles = [e for cid in CUSTOMERS for e in customer(cid, "email", sandbox=sandbox)]
    first = [order_placed(cid, f"o-{cid}-1", f"#{cid}-1") for cid in CUSTOMERS]
    last = [order_placed(cid, f"o-{cid}-2", f"#{cid}-2") for cid in CUSTOMERS]
    updates = [profile_update(CUSTOMERS[n % len(CUSTOMERS)]) for n in range(UPDATES)]
    publish(stack, *profiles, *first, *updates, *last)
    originals = {notification_id(o.id, "email", "order.placed") for o in first + last}
    arrivals(sandbox, originals)
    settle(stack)
    everything, ends = len(profiles) + len(first) + UPDATES + len(last), on_events(stack)
    assert sum(ends.values()) == everything
    # When a resend of every one of their events is stopped once some are back on the broker
    argv = ["replay", "events", *(f"--customer={cid}" for cid in CUSTOMERS), "--resend", "--yes"]
    # At a rate: at full speed the replay once finished before Ctrl-C reached it (exit 0)
    started = len(profiles) + len(first)  # then a first order of some customer is among them

    # Watched on one open connection (a new admin client per look is slow)
    watcher = KafkaConsumer(bootstrap_servers=stack.settings.kafka_bootstrap)
    partitions = [TopicPartition(stack.topics.events, p) for p in ends]

    def some_back() -> bool:
        return sum(watcher.end_offsets(partitions).values()) - everything >= started

    try:
        code, stopped, err = stopped_midway([*argv, f"--rate={RATE}"], some_back)
    finally:
        watcher.close()
    # Then it exits 130 saying where it stopped: each partition's next record to put back
    assert code == 130, err
    said = STOPPED.search(err)
    assert said, err
    where = dict(parse_offset(p) for p in said.group(1).split())
    assert set(where) == set(ends) and all(where[p] <= ends[p] for p in ends)
    assert started <= stopped["published"] < everything  # some put back, not all
    # 1: stopped just after putting a record back; going on puts it back again, sent once
    assert stopped["published"] - sum(where.values()) in (0, 1)
    settle(stack)
    resent = {resend_id(n, "1") for n in originals}
    assert 0 < len(resent & set(accepted(sandbox))) < len(resent)  # some heard again, not all
    # When it goes on from where it said
    on = [f"--from-offset={p}:{o}" for p, o in where.items()]
    went_on = run_json(capsys, *argv, *on)
    assert went_on["selected"] == everything - sum(where.values())
    settle(stack)
    arrivals(sandbox, resent)
    # Then every confirmation was sent again exactly once; the originals stay at one each
    assert accepted(sandbox) == Counter(originals | resent)
    # When the whole replay runs once more
    again = run_json(capsys, *argv)
    assert (again["selected"], again["published"]) == (everything, everything)
    settle(stack)
    # Then nothing is sent twice
    assert accepted(sandbox) == Counter(originals | resent)
