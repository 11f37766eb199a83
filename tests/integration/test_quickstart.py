"""The README's quick start for a custom shop, run as it is written: each curl command and both
Python examples against a real gateway on the real broker, and what they sent on Kafka."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from stacks import stack_settings

from aftercart.stack import Stack
from broker.reading import read_topic
from schemas.codec import decode_event
from schemas.topics import Topics

README = Path(__file__).parents[2] / "README.md"
README_URL = "http://127.0.0.1:8080"
README_TOKEN = "change-me-to-a-long-random-token"
README_BOOTSTRAP = "127.0.0.1:9092"
TOKEN = "quickstart-" + "x" * 24


def block(name: str) -> str:
    """The code between the README's `<!-- quickstart: NAME -->` markers, fences removed."""
    text = README.read_text()
    found = re.search(
        rf"<!-- quickstart: {name}\b[^>]*-->\n```\w*\n(.*?)```\n<!-- end of quickstart: {name} -->",
        text,
        re.DOTALL,
    )
    assert found, f"README.md has no quickstart: {name} block"
    return found.group(1)


def curl_commands() -> list[str]:
    """Each curl command of the README, with its comment: the block split at blank lines."""
    return [chunk for chunk in block("curl").split("\n\n") if "curl " in chunk]


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = stack_settings(
        kafka_bootstrap, tmp_path_factory.mktemp("quickstart"), events_tokens=[SecretStr(TOKEN)]
    )
    with Stack(settings, Path(settings.data_dir), own_broker=False) as running:
        running.start(workers=())  # the gateway alone: what lands on the events topic is read
        yield running


def ours(stack: Stack, code: str) -> str:
    """The README's code pointed at this test's gateway, token and topics."""
    code = code.replace(README_URL, stack.gateway_url).replace(README_TOKEN, TOKEN)
    prefix, partitions = stack.settings.topic_prefix, stack.settings.topic_partitions
    return code.replace(
        f'EventPublisher("{README_BOOTSTRAP}")',
        f'EventPublisher("{stack.settings.kafka_bootstrap}", Topics("{prefix}", {partitions}))',
    )


def on_the_topic(stack: Stack) -> dict[str, Any]:
    """Every event on the stack's events topic, by id, with its record's key."""
    records = read_topic(stack.settings.kafka_bootstrap, stack.topics.events, timeout_s=30)
    return {(e := decode_event(r.value)).id: (e, r.key) for r in records}


def test_the_readme_has_a_curl_command_per_content_mode() -> None:
    commands = curl_commands()

    assert len(commands) == 3
    assert "application/cloudevents+json" in commands[0]
    assert "application/cloudevents-batch+json" in commands[1]
    assert "ce-specversion: 1.0" in commands[2]


def test_each_curl_command_is_accepted_and_its_events_land_on_kafka(stack: Stack) -> None:
    # Given the gateway of `aftercart up` with the README's token (here, this stack's)
    # When each curl command is run as written
    for command in curl_commands():
        done = subprocess.run(
            ["bash", "-c", ours(stack, command)], capture_output=True, text=True, timeout=30
        )
        # Then curl exits 0 (--fail-with-body: a 2xx) and the gateway accepted it
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        assert json.loads(done.stdout)["status"] == "accepted", done.stdout
    # And every event is on the events topic, keyed by customer (the shipment by its order),
    # with the time of receipt the gateway gave it
    found = on_the_topic(stack)
    assert {"qs-1", "qs-2", "qs-3", "qs-4"} <= set(found)
    keys = {event_id: key for event_id, (_, key) in found.items()}
    assert keys["qs-1"] == keys["qs-2"] == keys["qs-4"] == b"c-42"
    assert keys["qs-3"] == b"o-1001"
    assert all(found[i][0].timeassigned for i in ("qs-1", "qs-2", "qs-3", "qs-4"))


def test_the_cloudevents_sdk_example_is_accepted(stack: Stack, capsys: Any) -> None:
    exec(ours(stack, block("sdk")), {})

    assert "'status': 'accepted'" in capsys.readouterr().out
    event, key = on_the_topic(stack)["qs-5"]
    assert (event.type, key) == ("order.paid", b"c-42")
    assert event.timeassigned is None  # the SDK set the time itself


def test_the_publisher_example_lands_on_kafka(stack: Stack) -> None:
    exec(ours(stack, block("publisher")), {"Topics": Topics})

    event, key = on_the_topic(stack)["qs-6"]
    assert (event.type, key) == ("order.cancelled", b"c-42")


def test_the_gateway_logged_which_routes_are_open(stack: Stack) -> None:
    [gateway] = [c for c in stack.supervisor.children if c.name == "gateway"]
    log = gateway.log_path.read_text()

    assert "gateway cloudevents: /events (1 token)" in log
    assert "gateway shopify webhooks: closed (set AFTERCART_SHOPIFY_SECRETS)" in log
