"""`make demo`: a sample shop's order lifecycle through the real pipeline into the sandbox."""

from __future__ import annotations

import secrets
import shutil
import time
from typing import Any

from pydantic import SecretStr

from aftercart.demo import storefront
from aftercart.demo.sample_shop import CUSTOMERS, Customer, Expected, SampleRun, build
from aftercart.stack import Stack, free_metrics_ports
from broker.launcher import free_ports
from ingest.publisher import EventPublisher
from operate.explain import timeline
from operate.sources import read_story
from runtime.settings import Settings
from sandbox.client import SandboxClient
from schemas.notification import notification_id
from streams.decide import category_of

# The sample shop's own brand and loyalty programme: aftercart's defaults name no shop and
# count no points, as a real shop's messages must not carry the demo's.
DEMO_SHOP = {
    "shop_name": "Aftercart Demo Shop",
    "shop_url": "https://shop.example",
    "shop_logo_url": "https://shop.example/logo.png",
    "shop_colour": "#2f6f4f",
    "shop_support_email": "help@shop.example",
    "loyalty_points_per_unit": 1.0,
}


def demo_settings(settings: Settings) -> Settings:
    """The settings with the sample shop's brand and loyalty programme, free loopback ports,
    so a demo never collides with `aftercart up`, and fresh webhook secrets for the sample
    Shopify shop and WooCommerce store."""
    kafka, controller, sandbox, smtp, gateway = free_ports(5)
    return settings.model_copy(
        update={
            **DEMO_SHOP,
            "kafka_bootstrap": f"127.0.0.1:{kafka}",
            "kafka_controller_port": controller,
            "sandbox_port": sandbox,
            "sandbox_smtp_port": smtp,
            "gateway_port": gateway,
            **free_metrics_ports(),
            "push_allow_sandbox": True,
            "receipts_accept_sandbox": True,
            # The sandbox's number stands in for a short code (100 segments a second); a real
            # long code sends 1, the default.
            "sms_segments_per_s": 100.0,
            "unsubscribe_secret": SecretStr(secrets.token_urlsafe(24)),
            # Every email links the customer's preference center on this demo's gateway.
            "preferences_secret": SecretStr(secrets.token_urlsafe(24)),
            "public_url": f"http://127.0.0.1:{gateway}",
            "shopify_secrets": {storefront.SHOP_DOMAIN: [SecretStr(secrets.token_urlsafe(24))]},
            "woocommerce_secrets": {storefront.WOO_STORE: [SecretStr(secrets.token_urlsafe(24))]},
        }
    )


def secret_for(settings: Settings, platform: str) -> str:
    """The demo store's webhook secret on `platform`."""
    configured = settings.shopify_secrets if platform == "shopify" else settings.woocommerce_secrets
    [first] = configured.values()
    return first[0].get_secret_value()


def send_webhooks(settings: Settings, gateway_url: str, sample: SampleRun) -> None:
    """The sample stores' signed webhooks through the gateway; expect an email per news."""
    buyers = {
        "shopify": Customer("shopify", "Sofia", "Laine", "fi", storefront.SHOPIFY_BUYER.email),
        # WooCommerce orders carry no language: English until the shop says otherwise.
        "woocommerce": Customer("woo", "Ioana", "Ionescu", "en", storefront.WOO_BUYER.email),
    }
    story = storefront.shopify_story() + storefront.woocommerce_story()
    redelivered = story[0]  # Shopify retries a delivery it thinks failed: published once
    for hook in [*story, redelivered]:
        status, answer = storefront.deliver(gateway_url, hook, secret_for(settings, hook.platform))
        if status != 200:
            raise RuntimeError(f"gateway answered {status} to {hook.topic}: {answer}")
        events = answer.get("events", [])
        kinds = ", ".join(e["type"] for e in events) or answer.get("reason", "")
        say(f"  {hook.platform:11} {hook.topic:26} -> {answer['status']}: {kinds}")
        for event in events:
            if category_of(event["type"]) is not None:
                nid = notification_id(event["id"], "email", event["type"])
                sample.expected[nid] = Expected(buyers[hook.platform], "email", event["type"])


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
        say(f"Published {len(sample.events)} events for {len(CUSTOMERS)} customers onto Kafka.")
        say(f"Sending signed Shopify and WooCommerce webhooks to {stack.gateway_url}:")
        send_webhooks(settings, stack.gateway_url, sample)
        say("Waiting for the messages ...")
        arrived = wait_for(sample, sandbox, stack, timeout)
        story = told(settings, stack, "#2001")
    print_table(sample, arrived)
    say("Why Sofia heard what she heard about her Shopify order (aftercart explain '#2001'):")
    for line in story:
        print(f"  {line}")
    missing = [e for nid, e in sample.expected.items() if nid not in arrived]
    for e in missing:
        say(f"MISSING: {e.customer.first_name} {e.channel} {e.event_type}")
    say(f"{len(arrived)} of {len(sample.expected)} expected messages arrived; all stopped.")
    return 1 if missing else 0


def told(settings: Settings, stack: Stack, subject: str, timeout: float = 15.0) -> list[str]:
    """`aftercart explain SUBJECT`, once every message sent has its provider's answer in the
    ledger (written just after the sandbox has the message)."""
    deadline = time.monotonic() + timeout
    while True:
        story = read_story(settings.kafka_bootstrap, stack.topics)
        lines = timeline(story.decisions, subject, story.history)
        if not any("no outcome yet" in line for line in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.5)


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
