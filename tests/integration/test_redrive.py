"""Dead letters on the real broker: an email that SendGrid failed until the worker gave up is
listed, shown whole, and once SendGrid is back, redriven and delivered exactly once; a second
redrive sends nothing twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from stacks import order_placed, run_json, stack_settings, wait_committed
from test_pipeline import arrivals, customer, publish

from aftercart.cli import main
from aftercart.stack import Stack
from bench.measure import wait_until
from operate.redrive import read_entries
from sandbox.client import SandboxClient
from schemas.notification import notification_id


@pytest.fixture
def stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Stack]:
    # Two attempts, so that an outage dead-letters within a second or so.
    settings = stack_settings(kafka_bootstrap, tmp_path, channel_max_attempts=2)
    with Stack(settings, tmp_path, own_broker=False) as running:
        running.start(("streams", "email"), gateway=False)
        yield running


def test_a_dead_letter_whose_cause_is_fixed_is_redriven_and_delivered_once(
    stack: Stack, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    # Given SendGrid down, and an order whose email the worker gives up on
    sandbox.set_faults("email", {"errors": {"503": 1.0}})
    order = order_placed("dl-1", "o-dl-1", "#dl-1")
    publish(stack, *customer("dl-1", "email", sandbox=sandbox), order)
    nid = notification_id(order.id, "email", "order.placed")
    bootstrap = stack.settings.kafka_bootstrap
    wait_until(lambda: read_entries(bootstrap, stack.topics, 10), 60, "the dead letter")
    # Then `dlq list` counts it under its stage and reason, and `show` gives it whole
    listed = run_json(capsys, "dlq", "list")
    [group] = listed["groups"]
    assert (group["stage"], group["count"]) == ("channel-email", 1)
    assert group["reason"].startswith("gave up after 2 attempts")
    [dead_id] = group["ids"]
    shown = run_json(capsys, "dlq", "show", dead_id)
    assert shown["original"]["notification_id"] == nid
    assert [a["code"] for a in shown["attempts"]] == ["503", "503"]
    # When SendGrid is back and a dry run, then the redrive, are asked for by reason
    sandbox.clear_faults()
    dry = run_json(capsys, "dlq", "redrive", "--reason", "gave up", "--dry-run")
    assert (dry["would_redrive"], dry["redriven"]) == (1, 0)
    assert dry["by_topic"] == {stack.topics.retry("email"): 1}
    done = run_json(capsys, "dlq", "redrive", "--reason", "gave up")
    assert (done["redriven"], done["ids"]) == (1, [dead_id])
    # Then the email arrives, once, and the dead letter is listed no more
    arrivals(sandbox, {nid}, timeout=60)
    assert run_json(capsys, "dlq", "list")["total"] == 0
    assert run_json(capsys, "dlq", "list", "--all")["total"] == 1
    # And redriving it again sends nothing twice: the worker's ledger has it as sent
    again = run_json(capsys, "dlq", "redrive", "--id", dead_id, "--all")
    assert again["redriven"] == 1
    t = stack.topics
    pairs = [
        (t.channel_app_id("email"), t.retry("email")),
        (t.channel_app_id("email"), t.notify("email")),
    ]
    wait_committed(stack, pairs, 30, "the email worker to take the second redrive")
    accepted = Counter(
        m["notification_id"]
        for m in sandbox.messages(status="accepted", fields=["notification_id"])
    )
    assert accepted[nid] == 1


def test_bad_arguments_and_an_unreachable_broker_get_one_line_each(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from broker import free_ports

    (port,) = free_ports(1)
    monkeypatch.setenv("AFTERCART_KAFKA_BOOTSTRAP", f"127.0.0.1:{port}")
    assert main(["dlq", "list"]) == 3
    assert f"cannot reach Kafka at 127.0.0.1:{port}" in capsys.readouterr().err
