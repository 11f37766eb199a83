"""`make demo`: a sample shop's order lifecycle through the real pipeline into the sandbox."""

from __future__ import annotations

import shutil
import time
from typing import Any

from aftercart.sample_shop import CUSTOMERS, SampleRun, build
from aftercart.settings import Settings
from aftercart.stack import Stack
from broker.launcher import free_ports
from ingest.publisher import EventPublisher
from sandbox.client import SandboxClient


def demo_settings(settings: Settings) -> Settings:
    """The settings with free loopback ports, so a demo never collides with `aftercart up`."""
    kafka, controller, sandbox = free_ports(3)
    return settings.model_copy(
        update={
            "kafka_bootstrap": f"127.0.0.1:{kafka}",
            "kafka_controller_port": controller,
            "sandbox_port": sandbox,
            "push_allow_sandbox": True,
        }
    )


def run_demo(base: Settings, timeout: float = 120.0) -> int:
    """Run the demo end to end; 0 when every expected message reached its channel."""
    settings = demo_settings(base)
    run_dir = settings.data_dir / "demo"
    shutil.rmtree(run_dir, ignore_errors=True)
    say(f"Starting Kafka, the provider sandbox and the pipeline (logs in {run_dir}/logs) ...")
    started = time.monotonic()
    with Stack(settings, run_dir) as stack:
        stack.start()
        say(f"Everything is up after {time.monotonic() - started:.0f}s.")
        sandbox = SandboxClient(settings.sandbox_url)
        sample = build(subscribe=sandbox.subscribe)
        with EventPublisher(settings.kafka_bootstrap, stack.topics) as publisher:
            for event in sample.events:
                publisher.publish(event)
        say(f"Published {len(sample.events)} events for {len(CUSTOMERS)} customers; waiting ...")
        arrived = wait_for(sample, sandbox, stack, timeout)
    print_table(sample, arrived)
    missing = [e for nid, e in sample.expected.items() if nid not in arrived]
    for e in missing:
        say(f"MISSING: {e.customer.first_name} {e.channel} {e.event_type}")
    say(f"{len(arrived)} of {len(sample.expected)} expected messages arrived; all stopped.")
    return 1 if missing else 0


def wait_for(
    sample: SampleRun, sandbox: SandboxClient, stack: Stack, timeout: float
) -> dict[str, dict[str, Any]]:
    """Poll the outbox until every expected notification is there or time runs out."""
    deadline = time.monotonic() + timeout
    arrived: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        stack.check()
        for message in sandbox.messages(status="accepted"):
            if message.get("notification_id") in sample.expected:
                arrived.setdefault(message["notification_id"], message)
        if len(arrived) == len(sample.expected):
            break
        time.sleep(0.5)
    return arrived


def print_table(sample: SampleRun, arrived: dict[str, dict[str, Any]]) -> None:
    """What reached each channel: customer, channel, event, subject or first line."""
    rows = [("CUSTOMER", "LANG", "CHANNEL", "EVENT", "SUBJECT / FIRST LINE")]
    position = {nid: i for i, nid in enumerate(sample.expected)}  # story order, then channel
    found = sorted(
        ((sample.expected[nid], m) for nid, m in arrived.items()),
        key=lambda pair: position[pair[1]["notification_id"]],
    )
    for expected, message in found:
        c = expected.customer
        first = message.get("subject") or (message.get("text") or "").strip().splitlines()[0]
        rows.append(
            (
                f"{c.first_name} {c.last_name}",
                c.language,
                expected.channel,
                expected.event_type,
                first[:70],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[4]
        )


def say(text: str) -> None:
    """One line of progress for the person running the demo."""
    print(f"[demo] {text}", flush=True)
