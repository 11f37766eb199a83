"""Settings for a stack of the integration tests on the session's broker."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

from aftercart.stack import Stack, free_metrics_ports
from bench.measure import wait_until
from broker import free_ports
from broker.admin import lag
from runtime.settings import Settings
from schemas.codec import new_event
from schemas.events import CloudEvent


def stack_settings(kafka_bootstrap: str, data_dir: Path, **extra: Any) -> Settings:
    """Settings for a stack on the session's broker: its own topics (a fresh prefix, two
    partitions) and free loopback ports for its sandbox (HTTP and SMTP), gateway and each
    worker's metrics endpoint."""
    sandbox_port, smtp_port, gateway_port = free_ports(3)
    ports = {"sandbox_port": sandbox_port, "sandbox_smtp_port": smtp_port, **free_metrics_ports()}
    return Settings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"t{uuid4().hex[:8]}",
        topic_partitions=2,
        gateway_port=gateway_port,
        data_dir=data_dir,
        **(ports | extra),
    )


def operator_env(stack: Stack, monkeypatch: Any) -> None:
    """Point `aftercart` at a stack's broker and topics, as an operator's shell would be."""
    monkeypatch.setenv("AFTERCART_KAFKA_BOOTSTRAP", stack.settings.kafka_bootstrap)
    monkeypatch.setenv("AFTERCART_TOPIC_PREFIX", stack.settings.topic_prefix)
    monkeypatch.setenv("AFTERCART_TOPIC_PARTITIONS", str(stack.settings.topic_partitions))


def run_json(capsys: Any, *argv: str) -> Any:
    """Run `aftercart ARGV --json` in this process; it must exit 0; what it printed, parsed."""
    from aftercart.cli import main

    capsys.readouterr()
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def order_placed(
    cid: str, order_id: str, number: str, total: str = "9.00", sku: str = "MUG", name: str = "Mug"
) -> CloudEvent:
    """One order.placed of one product at `total`, for customer `cid`."""
    items = [{"sku": sku, "name": name, "quantity": 1, "unit_price": total}]
    data = {"customer_id": cid, "order_id": order_id, "order_number": number}
    return new_event(
        "order.placed", {**data, "currency": "EUR", "total": total, "items": items}, source="test"
    )


def wait_committed(stack: Stack, pairs: list[tuple[str, str]], timeout: float, what: str) -> None:
    """Wait until each (consumer group, topic) pair has no lag: everything committed."""
    bootstrap = stack.settings.kafka_bootstrap
    wait_until(
        lambda: all(lag(bootstrap, g, topic) == 0 for g, topic in pairs),
        timeout,
        what,
        stack.check,
    )


@contextmanager
def started(
    kafka_bootstrap: str, data_dir: Path, workers: Sequence[str], **extra: Any
) -> Iterator[Stack]:
    """A stack of these workers and the sandbox (no gateway) on the session's broker."""
    with Stack(stack_settings(kafka_bootstrap, data_dir, **extra), data_dir, own_broker=False) as s:
        s.start(tuple(workers), gateway=False)
        yield s


def status_json(capsys: Any, *argv: str) -> tuple[int, dict[str, Any]]:
    """`aftercart status --json ARGV` run in this process: its exit code and what it printed."""
    from aftercart.cli import main

    capsys.readouterr()
    code = main(["status", "--json", *argv])
    return code, json.loads(capsys.readouterr().out)
