"""Metrics and JSON logs of a running stack: orders through the real gateway, stream processor
and email worker into the sandbox, then every /metrics read with Prometheus' own parser."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from stacks import order_placed, stack_settings

from aftercart.stack import Stack
from bench.measure import wait_until
from sandbox.client import SandboxClient
from schemas.codec import new_event
from schemas.events import CloudEvent

TOKEN = "metrics-test-token"
CUSTOMERS = [f"m{n}" for n in range(6)]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Sandbox, gateway, stream processor and email worker, logging JSON lines."""
    data_dir = tmp_path_factory.mktemp("metrics")
    settings = stack_settings(
        kafka_bootstrap, data_dir, events_tokens=[SecretStr(TOKEN)], log_format="json"
    )
    with Stack(settings, Path(settings.data_dir), own_broker=False) as running:
        running.start(workers=("streams", "email"))
        yield running


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def scrape(url: str) -> Samples:
    """Every sample at url/metrics, as prometheus-client's own parser reads it."""
    status, text = get(f"{url}/metrics")
    assert status == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def post_event(stack: Stack, event: CloudEvent) -> None:
    request = urllib.request.Request(
        f"{stack.gateway_url}/events",
        data=event.model_dump_json(exclude_none=True).encode(),
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": "application/cloudevents+json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["status"] == "accepted"


def customer(cid: str) -> CloudEvent:
    data = {"customer_id": cid, "first_name": cid.title(), "email": f"{cid}@example.com"}
    return new_event("customer.upserted", data, source="test")


def test_every_process_serves_metrics_and_the_sent_count_is_what_the_sandbox_took(
    stack: Stack,
) -> None:
    # Given a stack whose workers answer on their own ports
    for worker in ("streams", "email"):
        url = stack.worker_url(worker)
        assert get(f"{url}/healthz")[0] == 200
        wait_until(lambda u=url: get(f"{u}/readyz")[0] == 200, 60, f"{url}/readyz", stack.check)
    # When six customers each place an order through the gateway
    for cid in CUSTOMERS:
        post_event(stack, customer(cid))
        post_event(stack, order_placed(cid, f"o-{cid}", f"#{cid}"))
    sandbox = SandboxClient(stack.settings.sandbox_url)

    def accepted() -> int:
        return len(sandbox.messages(status="accepted", channel="email"))

    wait_until(lambda: accepted() == len(CUSTOMERS), 90, "six emails", stack.check)

    # Then the email worker counted as sent exactly what the sandbox accepted
    def sent() -> float:
        samples = scrape(stack.worker_url("email"))
        return value(samples, "aftercart_notifications_total", channel="email", outcome="sent")

    wait_until(lambda: sent() == accepted(), 30, "the sent counter", stack.check)
    email = scrape(stack.worker_url("email"))
    call = {"channel": "email", "provider": "sendgrid", "status": "ok"}
    assert value(email, "aftercart_provider_request_seconds_count", **call) == accepted()
    # And the gateway counted each request and event, the stream processor each event and email
    gateway = scrape(stack.gateway_url)
    route = {"route": "/events", "outcome": "accepted", "code": "200"}
    assert value(gateway, "aftercart_gateway_webhooks_total", **route) == 2 * len(CUSTOMERS)
    placed = {"source": "cloudevents", "type": "order.placed"}
    assert value(gateway, "aftercart_gateway_events_total", **placed) == len(CUSTOMERS)
    streams = scrape(stack.worker_url("streams"))
    assert value(streams, "aftercart_stream_events_total", type="order.placed") == len(CUSTOMERS)
    decided = {"channel": "email", "outcome": "sent", "reason": "none"}
    assert value(streams, "aftercart_stream_decisions_total", **decided) == len(CUSTOMERS)

    # And the stream processor's lag on the events topic comes down to nothing
    def events_lag() -> list[float]:
        samples = scrape(stack.worker_url("streams"))
        return [
            v
            for (name, labels), v in samples.items()
            if name == "aftercart_consumer_lag" and ("topic", stack.topics.events) in labels
        ]

    wait_until(lambda: events_lag() and sum(events_lag()) == 0, 60, "no lag", stack.check)


def test_worker_logs_are_json_lines_without_an_address(stack: Stack) -> None:
    for child in stack.supervisor.children:
        if not child.name.startswith("worker-"):
            continue
        text = child.log_path.read_text()
        lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        assert lines, f"{child.name} wrote no JSON line"
        assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
        assert "@example.com" not in text.replace("***@example.com", "")
