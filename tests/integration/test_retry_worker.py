"""Retries through the retry topics on the real broker: with the sandbox failing over a third
of the email and SMS requests (503s, and 429s with their retry hint), every notification
arrives exactly once, and each failed attempt went through its channel's retry topic."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from stacks import order_placed, stack_settings, wait_committed
from test_pipeline import arrivals, customer, publish

from aftercart.stack import Stack
from broker.reading import read_topic
from sandbox.client import SandboxClient
from schemas.codec import decode_retry
from schemas.events import CloudEvent
from schemas.notification import notification_id
from schemas.retry import RetryRecord

CUSTOMERS = [f"rt-{n}" for n in range(20)]
CHANNELS = ("email", "sms")
FAULTS = {"errors": {"503": 0.3}, "rate_limit": 0.05, "retry_after_s": 1}


@pytest.fixture
def stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Stack]:
    # Ten attempts: at 35% each, all ten fail once in 36,000 notifications. No SMS rate limit,
    # retries at most 4 s apart and a breaker that probes every 2 s: the test is about the
    # retry topics, not Twilio's pace or the outage schedule (test_outage.py has that).
    settings = stack_settings(
        kafka_bootstrap,
        tmp_path,
        channel_max_attempts=10,
        sms_segments_per_s=0,
        retry_max_delay_s=4.0,
        breaker_probe_every_s=2.0,
    )
    with Stack(settings, tmp_path, own_broker=False) as running:
        running.start(("streams", *CHANNELS), gateway=False)
        yield running


def order(cid: str) -> CloudEvent:
    return order_placed(cid, f"o-{cid}", f"#{cid}")


def settle(stack: Stack) -> None:
    """Wait until both channel workers have committed everything, retries included."""
    t = stack.topics
    pairs = [(t.channel_app_id(c), topic) for c in CHANNELS for topic in (t.notify(c), t.retry(c))]
    wait_committed(stack, pairs, 30, "the channel workers to commit")


def retry_records(stack: Stack, channel: str) -> list[RetryRecord]:
    bootstrap = stack.settings.kafka_bootstrap
    return [decode_retry(r.value) for r in read_topic(bootstrap, stack.topics.retry(channel))]


def test_flaky_providers_deliver_every_notification_once_through_the_retry_topics(
    stack: Stack,
) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    # Given SendGrid and Twilio failing 30% of requests with 503 and 5% with 429
    for seed, channel in enumerate(CHANNELS):
        sandbox.set_faults(channel, {**FAULTS, "seed": seed})
    # When customers who chose email and SMS place orders
    profiles = [e for cid in CUSTOMERS for e in customer(cid, *CHANNELS, sandbox=sandbox)]
    orders = [order(cid) for cid in CUSTOMERS]
    publish(stack, *profiles, *orders)
    # Then every notification arrives, each exactly once (counted by notification id)
    ids = {notification_id(o.id, c, "order.placed") for o in orders for c in CHANNELS}
    arrivals(sandbox, ids, timeout=60)
    settle(stack)
    accepted = sandbox.messages(status="accepted", fields=["notification_id"])
    counts = Counter(m["notification_id"] for m in accepted)
    assert {nid: counts[nid] for nid in ids} == dict.fromkeys(ids, 1)
    # And each failed attempt became one retry record on its channel's retry topic, due no
    # sooner than its failure, none given up on
    for channel in CHANNELS:
        faulted = sandbox.messages(channel=channel, status="faulted", fields=["seq"])
        # (a record the circuit breaker held, after failures in a row, made no request)
        records = [r for r in retry_records(stack, channel) if r.attempts[-1].kind != "CircuitOpen"]
        assert faulted, f"the sandbox failed no {channel} request"
        assert len(records) == len(faulted)
        assert {r.request.notification_id for r in records} <= ids
        assert all(r.not_before >= r.attempts[-1].at for r in records)
        assert all(len(r.attempts) < 10 for r in records)
    dead = [
        orjson.loads(r.value)
        for r in read_topic(stack.settings.kafka_bootstrap, stack.topics.deadletter)
    ]
    assert [d for d in dead if d["stage"].startswith("channel-")] == []
