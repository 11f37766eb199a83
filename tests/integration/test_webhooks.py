"""Signed webhooks through the real gateway, broker and workers into the provider sandbox."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from pydantic import SecretStr
from stacks import stack_settings

from aftercart.demo import storefront
from aftercart.stack import Stack
from bench.measure import wait_until
from broker import LocalKafka, create_topics, free_ports
from broker.reading import read_topic
from operate.explain import timeline
from operate.sources import read_decisions, read_story
from runtime.settings import Settings
from sandbox.client import SandboxClient
from schemas.notification import notification_id
from schemas.topics import Topics

SHOPIFY_SECRET = "shpss_" + uuid4().hex
WOO_SECRET = "wc_" + uuid4().hex


def gateway_settings(kafka_bootstrap: str, data_dir: Path, **extra: Any) -> Settings:
    return stack_settings(
        kafka_bootstrap,
        data_dir,
        shopify_secrets={storefront.SHOP_DOMAIN: [SecretStr(SHOPIFY_SECRET)]},
        woocommerce_secrets={storefront.WOO_STORE: [SecretStr(WOO_SECRET)]},
        **extra,
    )


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = gateway_settings(kafka_bootstrap, tmp_path_factory.mktemp("webhooks"))
    with Stack(settings, Path(settings.data_dir), own_broker=False) as running:
        running.start()
        yield running


def send(stack: Stack, hook: storefront.Webhook) -> dict[str, Any]:
    secret = SHOPIFY_SECRET if hook.platform == "shopify" else WOO_SECRET
    status, answer = storefront.deliver(stack.gateway_url, hook, secret)
    assert status == 200, answer
    return answer


def expected_emails(answers: list[dict[str, Any]]) -> dict[str, str]:
    """notification id -> event type of the email each published event must produce."""
    return {
        notification_id(e["id"], "email", e["type"]): e["type"]
        for answer in answers
        for e in answer["events"]
    }


def emails(sandbox: SandboxClient, wanted: dict[str, str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def all_there() -> bool:
        for m in sandbox.messages(channel="email", status="accepted"):
            if m.get("notification_id") in wanted:
                found[m["notification_id"]] = m
        return set(found) == set(wanted)

    wait_until(all_there, 60, "emails for every webhook")
    return {wanted[nid]: m for nid, m in found.items()}


def test_a_shopify_order_its_shipment_delivery_and_refund_reach_the_customer(
    stack: Stack,
) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    story = storefront.shopify_story(order_id=900_000_001)
    answers = [send(stack, hook) for hook in story]
    assert [e["type"] for a in answers for e in a["events"]] == [
        "order.placed",
        "order.paid",
        "fulfillment.shipped",
        "fulfillment.out_for_delivery",
        "fulfillment.delivered",
        "order.refunded",
    ]
    got = emails(sandbox, expected_emails(answers))
    assert {m["recipient"] for m in got.values()} == {storefront.SHOPIFY_BUYER.email}
    assert "#2001" in got["order.placed"]["subject"]
    assert "Sofia" in got["order.placed"]["subject"]
    # The shipment webhook names no customer: the order told the pipeline whose it is.
    assert "JJFI6512345678" in got["fulfillment.shipped"]["text"]
    # Shopify's out-for-delivery event names only the parcel; its tracking came with the shipment.
    assert "JJFI6512345678" in got["fulfillment.out_for_delivery"]["text"]
    assert "#2001" in got["fulfillment.delivered"]["subject"]
    assert "24,90" in got["order.refunded"]["subject"]  # Sofia reads Finnish: 24,90 €


def test_webhooks_that_overtake_their_order_still_reach_the_customer(stack: Stack) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    order, paid, shipped, out, delivered, refund = storefront.shopify_story(order_id=900_000_002)
    # Shopify does not promise order: the refund and the shipment come before the order.
    first = send(stack, refund)
    # (the refund is keyed by order, the order by customer: wait until the refund is held, so
    # that it really does arrive first)
    order_id = f"{storefront.SHOP_DOMAIN}/orders/900000002"

    def held() -> bool:
        records = read_decisions(stack.settings.kafka_bootstrap, stack.topics.decisions, 5)
        return any(r.outcome == "waiting" and r.order_id == order_id for r in records)

    wait_until(held, 60, "the refund to be held", stack.check)
    answers = [first] + [send(stack, hook) for hook in (shipped, delivered, order, paid, out)]
    # Out for delivery, told after the delivery, is stale news: everything else reaches her.
    wanted = expected_emails(answers)
    stale = {nid for nid, kind in wanted.items() if kind == "fulfillment.out_for_delivery"}
    got = emails(sandbox, {nid: kind for nid, kind in wanted.items() if nid not in stale})
    assert len(got) == 5
    assert all("#2001" in m["subject"] or "24,90" in m["subject"] for m in got.values())

    # aftercart explain tells the story: the refund was held until the order arrived, then sent
    # (once the email worker's ledger has SendGrid's answer, just after the sandbox has it).
    def told() -> str:
        story = read_story(stack.settings.kafka_bootstrap, stack.topics)
        return "\n".join(timeline(story.decisions, order_id, story.history))

    wait_until(lambda: "refund, order #2001\n    email     sent (" in told(), 30, "the ledger")
    story = told()
    assert "refund\n    held: waiting for order" in story
    assert "email     accepted by the provider" in story
    assert "out for delivery, order #2001\n    not sent: stale: the parcel already reached" in story
    assert not stale & {m["notification_id"] for m in sandbox.messages(channel="email")}


def test_a_woocommerce_order_is_news_only_when_its_status_changes(stack: Stack) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    created, completed = storefront.woocommerce_story(order_id=77_001)
    first = send(stack, created)
    again = send(stack, created)  # WooCommerce sends order.updated on any edit, e.g. a note
    last = send(stack, completed)
    assert again["status"] == "duplicate"
    got = emails(sandbox, expected_emails([first, last]))
    assert set(got) == {"order.placed", "order.paid", "fulfillment.shipped"}
    assert "Ceramic teapot \u2013 blue" in got["order.placed"]["text"]  # HTML entity decoded


def events_with_id(stack: Stack, event_id: str) -> int:
    records = read_topic(stack.settings.kafka_bootstrap, stack.topics.events)
    return sum(1 for r in records if json.loads(r.value).get("id") == event_id)


def test_a_redelivery_after_a_gateway_restart_is_published_once(stack: Stack) -> None:
    order = storefront.shopify_story(order_id=900_000_003)[0]
    first = send(stack, order)
    assert first["status"] == "accepted"
    stack.stop_gateway()
    stack.start_gateway()
    again = send(stack, order)
    assert again["status"] == "duplicate"
    [event] = first["events"]
    assert events_with_id(stack, event["id"]) == 1


def post(url: str, hook: storefront.Webhook) -> int:
    try:
        return storefront.deliver(url, hook, SHOPIFY_SECRET)[0]
    except urllib.error.URLError:
        return 0


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
            return bool(json.load(response)["ready"])
    except (OSError, ValueError):
        return False


def test_with_kafka_down_the_gateway_answers_503_and_accepts_after(
    tmp_path: Path,
) -> None:
    port, controller = free_ports(2)
    settings = gateway_settings(f"127.0.0.1:{port}", tmp_path, ingest_timeout_s=2.0)
    kafka = LocalKafka(tmp_path / "kafka", port, controller, cache_dir=settings.cache_dir)
    with kafka, Stack(settings, tmp_path / "run", own_broker=False) as stack:
        create_topics(settings.kafka_bootstrap, Topics(settings.topic_prefix, 2).all())
        stack.start_gateway()
        story = storefront.shopify_story(order_id=900_000_004)
        assert post(stack.gateway_url, story[0]) == 200
        kafka.stop()
        started = time.monotonic()
        assert post(stack.gateway_url, story[1]) == 503
        assert time.monotonic() - started < 5  # inside Shopify's 5 s
        assert not ready(stack.gateway_url)
        kafka.start()
        kafka.wait_ready(60)
        wait_until(lambda: ready(stack.gateway_url), 60, "the gateway to see Kafka again")
        # The shop retries and the event is accepted: not lost, and not a duplicate.
        wait_until(lambda: post(stack.gateway_url, story[1]) == 200, 30, "a retry to be taken")
