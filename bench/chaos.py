"""`make chaos` (`python -m bench.chaos`): the whole pipeline on a local three-broker cluster,
under the bench's load, through one fault at a time; bench/results/chaos.json has a line per
scenario (bench/scorecard.py says how each figure is counted).

Each scenario has its own customers (email, email and SMS, or all three channels, as the bench's
mix) and publishes LOAD_S seconds of their orders at RATE events/s; FAULT_AT_S seconds in, its
fault happens while the load goes on. Then it waits for every notification to arrive and for
every consumer group to commit everything, and counts.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from aftercart.cli import configure_logging, guarded
from aftercart.demo.run import demo_settings
from aftercart.scale import ROLES
from aftercart.stack import Stack
from bench.chaos_load import Load
from bench.measure import wait_until
from bench.scorecard import Arrival, score
from bench.workload import BenchCustomer, customers, setup_events
from broker.admin import create_topics, lag, partition_leader
from broker.cluster import LocalCluster, plan
from ingest.publisher import EventPublisher
from runtime.settings import Settings
from sandbox.client import SandboxClient
from schemas.topics import CHANNELS, TopicSpec

RATE = 50  # events/s: about 95 notifications/s with the bench's channel mix
LOAD_S = 30
FAULT_AT_S = 8
CUSTOMERS = 60
OUTAGE_S = 120  # "a provider down for minutes"
BROKER_DOWN_S = 20
STORM = {"errors": {"503": 0.2}, "rate_limit": 0.1, "retry_after_s": 1}
STORM_S = 15
SETTLE_S = 300


@dataclass
class Chaos:
    """What a fault acts on."""

    stack: Stack
    cluster: LocalCluster
    sandbox: SandboxClient


Fault = Callable[[Chaos], None]  # does its harm, and returns once it is over


def kill_worker(role: str) -> Fault:
    def fault(chaos: Chaos) -> None:
        chaos.stack.kill(f"worker-{role}")
        chaos.stack.start_workers((role,), wait=False)

    return fault


def broker_kill_leader(chaos: Chaos) -> None:
    """SIGKILL the broker leading the email topic's first partition; restart it later."""
    victim = partition_leader(chaos.cluster.bootstrap, chaos.stack.topics.notify("email"), 0)
    chaos.cluster.kill(victim)
    time.sleep(BROKER_DOWN_S)
    chaos.cluster.restart(victim)


def workers_add_remove(chaos: Chaos) -> None:
    """A second streams and email worker join mid-run; later one of each leaves."""
    added = [chaos.stack.add_worker(role) for role in ("streams", "email")]
    time.sleep(10)
    for name in added:
        chaos.stack.stop_process(name)


def provider_storm(chaos: Chaos) -> None:
    """Every provider answers 20% of requests 503 and 10% 429 (Retry-After: 1 s)."""
    for seed, channel in enumerate(CHANNELS):
        chaos.sandbox.set_faults(channel, {**STORM, "seed": seed})
    time.sleep(STORM_S)
    chaos.sandbox.clear_faults()


def provider_down(chaos: Chaos) -> None:
    """SendGrid answers every request 503 for OUTAGE_S, then recovers."""
    chaos.sandbox.set_faults("email", {"errors": {"503": 1.0}})
    time.sleep(OUTAGE_S)
    chaos.sandbox.clear_faults("email")


def gateway_kill(chaos: Chaos) -> None:
    """SIGKILL the gateway while events arrive through it; start another 2 s later."""
    chaos.stack.kill("gateway")
    time.sleep(2)
    chaos.stack.start_gateway()


SCENARIOS: dict[str, Fault] = {
    "broker-kill-leader": broker_kill_leader,
    **{f"worker-kill-{role}": kill_worker(role) for role in ROLES},
    "workers-add-remove": workers_add_remove,
    "provider-storm": provider_storm,
    "provider-down": provider_down,
    "gateway-kill": gateway_kill,
}
THROUGH_GATEWAY = {"gateway-kill"}


def run_scenario(chaos: Chaos, name: str, index: int, token: str) -> dict[str, Any]:
    """One scenario: its customers, its load, its fault, its score."""
    stack, sandbox = chaos.stack, chaos.sandbox
    people = [BenchCustomer(f"{name}-{c.id}", c.channels) for c in customers(CUSTOMERS)]
    with EventPublisher(stack.settings.kafka_bootstrap, stack.topics) as publisher:
        for event in setup_events(people, sandbox.subscribe):
            publisher.publish(event)
    since = sandbox.last_seq()
    load = Load(people, RATE * LOAD_S, RATE, first=index * 1_000_000)
    if name in THROUGH_GATEWAY:
        load.through_gateway(f"{stack.gateway_url}/events", token)
    else:
        load.onto_kafka(stack.settings.kafka_bootstrap, stack.topics.events)
    time.sleep(FAULT_AT_S)
    SCENARIOS[name](chaos)
    fault_ended_ms = time.time() * 1000
    load.join(LOAD_S + SETTLE_S)
    expected = load.expected()
    wanted = {e.notification_id for e in expected}
    arrived: set[str] = set()

    def all_arrived() -> bool:
        for m in sandbox.messages(since=since, status="accepted", fields=["notification_id"]):
            arrived.add(m["notification_id"])
        return wanted <= arrived

    try:
        wait_until(all_arrived, SETTLE_S, f"{name}: every notification", stack.check)
    except TimeoutError as exc:
        say(f"{exc}: counting what arrived")
    settle(stack)
    fields = ["notification_id", "received_at_ms"]
    accepted = sandbox.messages(since=since, status="accepted", fields=fields)
    arrivals = [Arrival(m["notification_id"], m["received_at_ms"]) for m in accepted]
    line = score(name, load.count, expected, arrivals, fault_ended_ms)
    if load.unanswered:
        line["unanswered_requests"] = load.unanswered
    return line


def settle(stack: Stack) -> None:
    """Wait until every consumer group has committed everything: nothing left in flight."""
    t = stack.topics
    pairs = [(t.streams_app_id, t.events), *((t.channel_app_id(c), t.notify(c)) for c in CHANNELS)]
    bootstrap = stack.settings.kafka_bootstrap
    wait_until(
        lambda: all(lag(bootstrap, group, topic) == 0 for group, topic in pairs),
        SETTLE_S,
        "every consumer group to commit",
        stack.check,
    )


def run_chaos(base: Settings, output: str, only: Sequence[str]) -> int:
    """Start a three-broker cluster and the stack on it, run the scenarios, write `output`."""
    token = secrets.token_urlsafe(32)
    settings = demo_settings(base).model_copy(
        update={"sms_segments_per_s": 0.0, "events_tokens": [SecretStr(token)]}
    )
    run_dir = settings.data_dir / "chaos"
    shutil.rmtree(run_dir, ignore_errors=True)
    started = time.monotonic()
    cluster = LocalCluster(run_dir / "cluster", plan(3), cache_dir=settings.cache_dir)
    results: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(), "scenarios": []}
    try:
        say("starting three Kafka brokers ...")
        cluster.start()
        cluster.wait_ready(timeout=180)
        settings = settings.model_copy(update={"kafka_bootstrap": cluster.bootstrap})
        with Stack(settings, run_dir, own_broker=False) as stack:
            # faust creates its leader topics with one replica: three, before it does
            leaders = [f"{g}-__assignor-__leader" for g in stack.group_ids(ROLES)]
            create_topics(cluster.bootstrap, [TopicSpec(name, 1) for name in leaders])
            stack.start()
            chaos = Chaos(stack, cluster, SandboxClient(settings.sandbox_url))
            for index, name in enumerate(only or SCENARIOS):
                say(f"{name} ...")
                line = run_scenario(chaos, name, index, token)
                results["scenarios"].append(line)
                say(json.dumps(line))
                cluster.wait_ready(timeout=180)  # every broker back before the next
    finally:
        cluster.stop(timeout=30)
    results["minutes"] = round((time.monotonic() - started) / 60, 1)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(json.dumps(results, indent=2) + "\n")
    say(f"written to {output}")
    bad = [s["name"] for s in results["scenarios"] if failed(s)]
    if bad:
        say(f"FAILED: lost, duplicate or out-of-order notifications in {', '.join(bad)}")
        return 1
    return 0


def failed(line: dict[str, Any]) -> bool:
    """Whether a scenario broke the promise: each notification once, in order."""
    return bool(line["lost"] or line["duplicates"] or line["order_violations"])


def say(text: str) -> None:
    """One line of progress."""
    print(f"[chaos] {text}", flush=True)


def parser() -> argparse.ArgumentParser:
    """The command's options; settings come from AFTERCART_* as for every command."""
    p = argparse.ArgumentParser(
        prog="python -m bench.chaos",
        description="Run the pipeline on a local three-broker cluster through broker, worker, "
        "gateway and provider faults under load; write one line per scenario to a results "
        "file and exit 1 if a notification was lost, sent twice or out of order.",
    )
    p.add_argument("--output", default="bench/results/chaos.json", help="results file")
    p.add_argument(
        "--only", nargs="+", choices=list(SCENARIOS), default=[], help="run only these scenarios"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scenarios; 1 when one broke the promise, 130 when interrupted."""
    args = parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings)
    return guarded(lambda: run_chaos(settings, args.output, args.only), "make chaos")


if __name__ == "__main__":
    raise SystemExit(main())
