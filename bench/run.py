"""`make bench`: the whole pipeline into the sandbox on the project's own broker."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kafka import KafkaProducer

from aftercart.demo.run import demo_settings
from aftercart.scale import ROLES
from aftercart.stack import Stack
from bench import ingest, passthrough, replay
from bench.measure import (
    cpu_ms_per_notification,
    cpu_seconds,
    machine_probe,
    peak_rss_mb,
    percentile,
    wait_until,
)
from bench.paced import PLACEHOLDER_TIME, publish_paced
from bench.profiles import RATE, profiled
from bench.workload import Expectation, customers, encoded, order_event, orders, setup_events
from broker.admin import create_topics, end_offsets, lag
from runtime.child_env import settings_env
from runtime.settings import Settings
from sandbox.client import SandboxClient
from schemas.topics import CHANNELS, TopicSpec

CUSTOMERS = 2_000
BASELINE_EVENTS = 20_000
LATENCY_SECONDS = 20
INGEST_SECONDS = 15


@dataclass(frozen=True)
class Options:
    """What `aftercart bench`'s options ask for (bench/__main__.py)."""

    events: int = 20_000  # in the throughput and faults passes
    only: str = "all"  # all, pipeline, throughput (with the baseline) or ingest
    profile: Path | None = None  # where py-spy profiles of the throughput pass go
    scale: Mapping[str, int] = field(default_factory=dict)  # the scale pass's processes
    offered: int = 1_000  # events/s in the latency pass
    ingest_rate: int = 3_000  # webhooks/s in the ingest pass's open loop


def run_bench(base: Settings, options: Options, output: str) -> int:
    """Run the passes (all, or only some: `options.only`), print the figures and write them to
    `output` (with `only`, the figures of passes not run are kept from the file as it was);
    with `profile`, each worker's profile of the throughput pass is written there
    (bench/profiles.py); with `scale` (processes per role), the throughput pass runs once
    more with that many."""
    only = options.only
    # No SMS rate limit: the bench measures the pipeline, and the sandbox has none.
    settings = demo_settings(base).model_copy(update={"sms_segments_per_s": 0.0})
    run_dir = settings.data_dir / "bench"
    shutil.rmtree(run_dir, ignore_errors=True)
    previous = json.loads(Path(output).read_text()) if Path(output).exists() else {}
    results: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(), "cpus": os.cpu_count()}
    results["machine_probe_s"] = {"before": machine_probe()}
    with Stack(settings, run_dir) as stack:
        stack.start(workers=())
        if only in ("all", "ingest"):
            # First, on a quiet broker, before the pipeline workers start: the figure is the
            # gateway and Kafka, nothing else.
            rate = options.ingest_rate
            say(f"ingest pass: signed Shopify webhooks at {rate}/s, then flat out ...")
            results["ingest"] = ingest.run_pass(stack, settings, rate=rate, seconds=INGEST_SECONDS)
        if only != "ingest":
            stack.start_workers(ROLES)
            pipeline_passes(stack, settings, options, results)
        if only != "all":
            results = previous | results
        results["peak_rss_mb"] = {
            c.name: peak_rss_mb(c.process.pid) for c in stack.supervisor.children
        }
        if stack.broker is not None and stack.broker.pid is not None:
            results["peak_rss_mb"]["kafka"] = peak_rss_mb(stack.broker.pid)
    results["machine_probe_s"]["after"] = machine_probe()
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    say(f"written to {output}")
    return 0


def pipeline_passes(
    stack: Stack, settings: Settings, options: Options, results: dict[str, Any]
) -> None:
    """Baseline, throughput, replay, latency and faults of the pipeline from the events topic
    to the sandbox (only the first two with `--only throughput`), then the scale pass."""
    events, profile, scale = options.events, options.profile, options.scale
    say("stack up; baseline pass (bare faust passthrough) ...")
    results["baseline"] = baseline(stack, settings)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=5)
    sandbox = SandboxClient(settings.sandbox_url)
    people = customers(CUSTOMERS)
    for key, value in map(encoded, setup_events(people, sandbox.subscribe)):
        producer.send(stack.topics.events, key=key, value=value)
    producer.flush()
    wait_until(
        lambda: (
            lag(settings.kafka_bootstrap, stack.topics.streams_app_id, stack.topics.events) == 0
        ),
        120,
        "customer set-up",
        stack.check,
    )
    say(f"{CUSTOMERS} customers set up; throughput pass with {events} events ...")
    pids = {c.name: c.process.pid for c in stack.supervisor.children if c.name != "gateway"}
    with profiled(pids, profile) if profile else nullcontext():
        results["throughput"] = throughput(stack, producer, sandbox, people, events)
    if profile:
        results["throughput"]["profiled"] = f"py-spy at {RATE}/s, into {profile}"
    results["throughput"]["of_faust_baseline"] = round(
        results["throughput"]["notifications_per_s"]
        / results["baseline"]["faust_passthrough_events_per_s"],
        2,
    )
    clean = results["throughput"]["notifications_per_s"]
    if options.only != "throughput":
        say("replay pass: a dry-run replay of every event so far ...")
        results["replay"] = replay.run_pass(stack, settings)
        say(f"latency pass at {options.offered} events/s for {LATENCY_SECONDS}s ...")
        results["latency"] = latency(stack, sandbox, people, options.offered)
        say(f"faults pass: {events} events, every provider failing 5% (503) and 1% (429) ...")
        results["faults"] = faults(stack, producer, sandbox, people, events)
        results["faults"]["of_clean_throughput"] = round(
            results["faults"]["notifications_per_s"] / clean, 2
        )
    if scale:
        say(f"scale pass: the throughput pass again with processes per role {dict(scale)} ...")
        results["scale"] = scaled(stack, producer, sandbox, people, events, scale, clean)
    producer.close()


def scaled(
    stack: Stack,
    producer: KafkaProducer,
    sandbox: SandboxClient,
    people: list[Any],
    count: int,
    scale: Mapping[str, int],
    one_each: int,
) -> dict[str, Any]:
    """The throughput pass with `scale[role]` processes of each role named (more are added
    beside the one running): its figures, and its throughput over the one-each figure."""
    for role, processes in scale.items():
        for _ in range(processes - 1):
            stack.add_worker(role)
    stack.wait_workers(list(scale))
    stack.wait_ready()  # the new ones' ledgers recovered: not part of the timed pass
    since = sandbox.last_seq()
    figures = throughput(stack, producer, sandbox, people, count, first_order=3_000_000)
    accepted = settled_count(stack, sandbox, since)
    return {
        "processes": dict(scale),
        **figures,
        "duplicates": sum(n - 1 for n in accepted.values()),
        "of_one_each": round(figures["notifications_per_s"] / one_each, 2),
    }


def settled_count(
    stack: Stack, sandbox: SandboxClient, since: int, only: set[str] | None = None
) -> Counter[str]:
    """Once every channel worker has committed its input, how many times the sandbox took
    each notification since `since` (those in `only`, when given): a count above 1 is a
    duplicate."""
    t = stack.topics
    wait_until(
        lambda: all(
            lag(stack.settings.kafka_bootstrap, t.channel_app_id(c), t.notify(c)) == 0
            for c in CHANNELS
        ),
        120,
        "the channel workers to commit",
        stack.check,
    )
    return Counter(
        m["notification_id"]
        for m in sandbox.messages(since=since, status="accepted")
        if only is None or m.get("notification_id") in only
    )


def cpu_by_process(stack: Stack) -> dict[str, float]:
    """CPU seconds used so far by each process of the stack."""
    pids = {c.name: c.process.pid for c in stack.supervisor.children}
    if stack.broker is not None and stack.broker.pid is not None:
        pids["kafka"] = stack.broker.pid
    pids["bench"] = os.getpid()
    found = {name: cpu_seconds(pid) for name, pid in pids.items()}
    return {name: cpu for name, cpu in found.items() if cpu is not None}


def baseline(stack: Stack, settings: Settings) -> dict[str, Any]:
    """Events/s of a bare faust agent forwarding from one topic to another."""
    source, sink = passthrough.topics(settings)
    p = settings.topic_partitions
    create_topics(settings.kafka_bootstrap, [TopicSpec(source, p), TopicSpec(sink, p)])
    env = settings_env(settings)
    child = stack.supervisor.spawn(
        "bench-passthrough", [sys.executable, "-m", "bench.passthrough"], env
    )
    stack.wait_groups([passthrough.GROUP])
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=5)
    value = b'{"specversion":"1.0","type":"order.paid","data":{"amount":"25.00"}}'
    started = time.monotonic()
    for i in range(BASELINE_EVENTS):
        producer.send(source, key=str(i % 997).encode(), value=value)
    producer.flush()
    producer.close()
    wait_until(
        lambda: sum(end_offsets(settings.kafka_bootstrap, sink).values()) >= BASELINE_EVENTS,
        300,
        "the passthrough",
        stack.check,
    )
    elapsed = time.monotonic() - started
    stack.supervisor.stop(child)
    return {
        "events": BASELINE_EVENTS,
        "faust_passthrough_events_per_s": round(BASELINE_EVENTS / elapsed),
    }


ARRIVAL_FIELDS = ("seq", "notification_id", "received_at_ms")  # polled: nothing more


def _arrivals(
    sandbox: SandboxClient, expect: Expectation, since: int, stack: Stack, timeout: float
) -> dict[str, float]:
    """Wait for every expected notification; return id -> sandbox receipt time (epoch ms)."""
    seen: dict[str, float] = {}
    cursor = since

    def more() -> bool:
        nonlocal cursor
        for m in sandbox.messages(since=cursor, status="accepted", fields=ARRIVAL_FIELDS):
            cursor = max(cursor, m["seq"])
            if m["notification_id"] in expect.sent_at_ms:
                seen.setdefault(m["notification_id"], m["received_at_ms"])
        return len(seen) >= len(expect.sent_at_ms)

    wait_until(more, timeout, f"{len(expect.sent_at_ms)} notifications", stack.check)
    return seen


def publish_up_front(
    stack: Stack, producer: KafkaProducer, people: list[Any], count: int, first_order: int = 0
) -> tuple[Expectation, float]:
    """Build `count` order events (order numbers from `first_order`), then publish them all;
    what the sandbox must receive, and when publishing began (epoch ms)."""
    expect = Expectation({})
    batch = []
    for customer, n, type_name in orders(people, count):
        event = order_event(customer, first_order + n, type_name)
        expect.add(event, customer.channels)
        batch.append(encoded(event))
    first_publish_ms = time.time() * 1000
    for key, value in batch:
        producer.send(stack.topics.events, key=key, value=value)
    producer.flush()
    return expect, first_publish_ms


def throughput(
    stack: Stack,
    producer: KafkaProducer,
    sandbox: SandboxClient,
    people: list[Any],
    count: int,
    first_order: int = 0,
) -> dict[str, Any]:
    """N events published up front; first publish to last notification received; the CPU
    each process used meanwhile, and per notification."""
    before = cpu_by_process(stack)
    since = sandbox.last_seq()
    expect, first_publish_ms = publish_up_front(stack, producer, people, count, first_order)
    seen = _arrivals(sandbox, expect, since, stack, timeout=600)
    seconds = (max(seen.values()) - first_publish_ms) / 1000
    after = cpu_by_process(stack)
    cpu = {name: after[name] - before[name] for name in after if name in before}
    return {
        "events": count,
        "notifications": len(seen),
        "seconds": round(seconds, 2),
        "notifications_per_s": round(len(seen) / seconds),
        "cpu_seconds": {name: round(c, 1) for name, c in cpu.items()},
        "cpu_ms_per_notification": cpu_ms_per_notification(cpu, len(seen)),
    }


FAULT_PROFILE: dict[str, Any] = {"errors": {"503": 0.05}, "rate_limit": 0.01, "retry_after_s": 1}


def faults(
    stack: Stack, producer: KafkaProducer, sandbox: SandboxClient, people: list[Any], count: int
) -> dict[str, Any]:
    """The throughput pass again with every provider failing now and then: how fast, and is
    every notification delivered exactly once (counted by notification id at the sandbox)."""
    for seed, channel in enumerate(CHANNELS):
        sandbox.set_faults(channel, {**FAULT_PROFILE, "seed": seed})
    try:
        since = sandbox.last_seq()
        expect, first_publish_ms = publish_up_front(stack, producer, people, count, 2_000_000)
        try:
            seen = _arrivals(sandbox, expect, since, stack, timeout=600)
        except TimeoutError:
            seen = {}  # counted below: what did not arrive is lost
        accepted = settled_count(stack, sandbox, since, set(expect.sent_at_ms))
        faulted = sum(1 for _ in sandbox.messages(since=since, status="faulted"))
    finally:
        sandbox.clear_faults()
    last = max(seen.values(), default=first_publish_ms + 1)
    seconds = (last - first_publish_ms) / 1000
    return {
        "profile": FAULT_PROFILE,
        "events": count,
        "notifications": len(accepted),
        "faulted_requests": faulted,
        "seconds": round(seconds, 2),
        "notifications_per_s": round(len(seen) / seconds) if seen else 0,
        "duplicates": sum(n - 1 for n in accepted.values()),
        "lost": len(set(expect.sent_at_ms) - set(accepted)),
    }


def latency(
    stack: Stack, sandbox: SandboxClient, people: list[Any], offered: int
) -> dict[str, Any]:
    """Events offered at a steady rate; each notification timed from event creation."""
    expect = Expectation({})
    since = sandbox.last_seq()
    total = offered * LATENCY_SECONDS
    # Built and encoded up front so the load generator spends its CPU on sending; each event
    # gets its creation time stamped in at the moment it is sent (bench/paced.py).
    planned = [
        (customer, order_event(customer, 1_000_000 + n, type_name, time=PLACEHOLDER_TIME))
        for customer, n, type_name in orders(people, total)
    ]
    used = cpu_seconds(os.getpid()) or 0.0
    sent_at_ms = publish_paced(
        stack.settings.kafka_bootstrap,
        stack.topics.events,
        [encoded(event) for _, event in planned],
        offered,
    )
    used = (cpu_seconds(os.getpid()) or 0.0) - used
    for (customer, event), at_ms in zip(planned, sent_at_ms, strict=True):
        expect.add(event, customer.channels, at_ms=at_ms)
    seen = _arrivals(sandbox, expect, since, stack, timeout=300)
    by_id = {nid: seen[nid] - expect.sent_at_ms[nid] for nid in seen}
    chan = expect.channel_of
    delays = list(by_id.values())
    first = min(expect.sent_at_ms.values())
    windows: dict[int, list[float]] = {}
    for nid in seen:
        second = int((expect.sent_at_ms[nid] - first) // 2000) * 2
        windows.setdefault(second, []).append(seen[nid] - expect.sent_at_ms[nid])
    return {
        "offered_events_per_s": offered,
        "events": total,
        "load_generator_cpu_seconds_per_1000": round(used / total * 1000, 2),
        "notifications": len(delays),
        "p50_ms": round(percentile(delays, 50), 1),
        "p95_ms": round(percentile(delays, 95), 1),
        "p99_ms": round(percentile(delays, 99), 1),
        "max_ms": round(max(delays), 1),
        "p99_ms_by_2s_window": [round(percentile(windows[w], 99)) for w in sorted(windows)],
        "p99_ms_by_channel": {
            channel: round(percentile([d for nid, d in by_id.items() if chan[nid] == channel], 99))
            for channel in sorted(set(chan.values()))
        },
    }


def say(text: str) -> None:
    """One line of progress."""
    print(f"[bench] {text}", flush=True)
