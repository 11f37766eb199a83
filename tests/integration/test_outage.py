"""A provider outage outlasted, on the real broker: SendGrid (the sandbox) answers 503 to
every request for 20 seconds while orders keep coming. The email worker's circuit breaker
opens after a few failures in a row, holds every message on the retry topic without calling,
and probes the provider one message at a time; once SendGrid answers again every email
arrives exactly once, none is dead-lettered, and during the outage the provider saw a
bounded number of requests (not one per message per retry).

The retry settings are shortened so the test runs in well under a minute: probes every 2 s
instead of 30 s, steps from 0.5 s up to 4 s instead of 1 s up to 10 min. The promise is the
same as with the defaults, which outlast a 24-hour outage."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from stacks import order_placed, stack_settings, wait_committed
from test_pipeline import arrivals, customer, publish

from aftercart.stack import Stack
from bench.measure import wait_until
from broker.reading import read_topic
from sandbox.client import SandboxClient
from schemas.notification import notification_id

OUTAGE_S = 20.0
BREAKER_AFTER = 3
PROBE_EVERY_S = 2.0
CONCURRENCY = 8  # requests the worker may have out at once: some fail after it opened
FIRST, SECOND = ([f"out-{half}-{n}" for n in range(40)] for half in ("a", "b"))


@pytest.fixture
def stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Stack]:
    settings = stack_settings(
        kafka_bootstrap,
        tmp_path,
        breaker_after=BREAKER_AFTER,
        breaker_probe_every_s=PROBE_EVERY_S,
        retry_first_s=0.5,
        retry_max_delay_s=4.0,
        channel_concurrency=CONCURRENCY,
    )
    with Stack(settings, tmp_path, own_broker=False) as running:
        running.start(("streams", "email"), gateway=False)
        yield running


def faulted(sandbox: SandboxClient) -> int:
    """Requests SendGrid (the sandbox) answered with an injected fault."""
    return len(sandbox.messages(channel="email", status="faulted", fields=["seq"]))


def test_an_outage_is_outlasted_with_few_requests_and_every_email_arrives_once(
    stack: Stack,
) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    profiles = [e for cid in FIRST + SECOND for e in customer(cid, "email", sandbox=sandbox)]
    publish(stack, *profiles)
    # Given SendGrid answering 503 to everything
    sandbox.set_faults("email", {"errors": {"503": 1.0}})
    began = time.monotonic()
    # When orders come in during the outage: a first lot, and a second once the breaker
    # has opened (the provider has failed several times)
    orders = [order_placed(cid, f"o-{cid}", f"#{cid}") for cid in FIRST + SECOND]
    publish(stack, *orders[: len(FIRST)])
    wait_until(lambda: faulted(sandbox) >= BREAKER_AFTER, 60, "SendGrid to fail")
    publish(stack, *orders[len(FIRST) :])
    # ... and the outage lasts its 20 seconds (the scenario's length, not a wait for a result)
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - began)))
    during = faulted(sandbox)
    sandbox.clear_faults("email")
    recovered = time.monotonic()
    # Then every email arrives once the provider answers again, each exactly once
    ids = {notification_id(o.id, "email", "order.placed") for o in orders}
    arrivals(sandbox, ids, timeout=60)
    caught_up = time.monotonic() - recovered
    t = stack.topics
    pairs = [(t.channel_app_id("email"), topic) for topic in (t.notify("email"), t.retry("email"))]
    wait_committed(stack, pairs, 30, "the email worker to commit")
    accepted = Counter(
        m["notification_id"]
        for m in sandbox.messages(status="accepted", fields=["notification_id"])
    )
    assert {nid: accepted[nid] for nid in ids} == dict.fromkeys(ids, 1)
    # And none was dead-lettered
    dead = [orjson.loads(r.value) for r in read_topic(stack.settings.kafka_bootstrap, t.deadletter)]
    assert [d for d in dead if d["stage"] == "channel-email"] == []
    # And during the outage SendGrid saw a bounded number of requests: the failures that
    # opened the breaker, those already out when it opened, and one probe per period (80
    # messages retried without a breaker would have made several hundred)
    probes = OUTAGE_S / PROBE_EVERY_S + 1
    bound = BREAKER_AFTER + CONCURRENCY + probes
    print(
        f"outage: {during} failed requests for {len(ids)} emails;"
        f" all arrived {caught_up:.1f} s after"
    )
    assert BREAKER_AFTER <= during <= bound
    # And they went within a few probe periods of the provider's return, not at the end of
    # a long back-off
    assert caught_up < 5 * PROBE_EVERY_S + 10
