"""The ops console in a real browser against `aftercart up`'s processes: log in, see the
overview, find an order and see its email as it was sent, redrive a dead letter and see it
arrive at the sandbox, and run a replay's dry run. Nothing the pages use comes from anywhere
but the gateway.

What is real: Chromium (Debian's) with its JavaScript on (the overview refreshes itself),
the gateway serving the console and following the pipeline's topics, Kafka, the stream
processor, the email worker, the sandbox's SendGrid (down, then back)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browsing import CHROMIUM_ARGS, screenshot_path
from playwright.sync_api import Page, expect, sync_playwright
from pydantic import SecretStr
from stacks import order_placed, stack_settings
from test_pipeline import arrivals, customer, publish

from aftercart.stack import Stack
from bench.measure import wait_until
from operate.redrive import read_entries
from sandbox.client import SandboxClient
from schemas.notification import notification_id

TOKEN = "browser-test-console-token"


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Gateway with the console on, stream processor and email worker; two attempts, so an
    outage dead-letters within seconds."""
    data_dir = tmp_path_factory.mktemp("console")
    settings = stack_settings(
        kafka_bootstrap,
        data_dir,
        console_tokens=[SecretStr(TOKEN)],
        channel_max_attempts=2,
        shop_name="Loopback Shop",
    )
    with Stack(settings, Path(settings.data_dir), own_broker=False) as running:
        running.start(("streams", "email"))
        yield running


def go(page: Page, section: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=section).click()


def test_an_operator_finds_an_order_redrives_a_dead_letter_and_dry_runs_a_replay(
    stack: Stack, chromium: str
) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    # Given an order whose email was sent, and one whose email SendGrid refused until the
    # worker gave up on it
    sent = order_placed("cons-1", "o-cons-1", "#C1")
    publish(stack, *customer("cons-1", "email", sandbox=sandbox), sent)
    arrivals(sandbox, {notification_id(sent.id, "email", "order.placed")})
    sandbox.set_faults("email", {"errors": {"503": 1.0}})
    dead = order_placed("cons-2", "o-cons-2", "#C2")
    publish(stack, *customer("cons-2", "email", sandbox=sandbox), dead)
    bootstrap = stack.settings.kafka_bootstrap
    wait_until(lambda: read_entries(bootstrap, stack.topics, 10), 60, "the dead letter")
    sandbox.clear_faults()
    fetched: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        page.on("request", lambda request: fetched.append(request.url))
        # When the operator opens the console, they are asked to log in
        page.goto(f"{stack.gateway_url}/console")
        expect(page).to_have_url(re.compile("/console/login$"))
        page.get_by_label("Console token").fill(TOKEN)
        page.get_by_role("button", name="Log in").click()
        # Then the overview shows the pipeline's figures, and refreshes them itself
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        expect(page.locator(".cards")).to_contain_text("Dead letters waiting")
        expect(page.locator("table.data").first).to_contain_text(
            stack.topics.channel_app_id("email")
        )
        page.screenshot(path=screenshot_path("console-overview"), full_page=True)
        events_in = page.locator(".card", has_text="Events in")
        before = events_in.locator("b").inner_text()
        publish(stack, order_placed("cons-1", "o-cons-3", "#C3"))
        expect(events_in.locator("b")).not_to_have_text(before, timeout=30_000)
        # When they search for the first order: its email as the customer got it
        go(page, "Search")
        page.get_by_role("searchbox").fill("#C1")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("main")).to_contain_text("order placed, order #C1")
        email = page.frame_locator("iframe.email")
        expect(email.locator("body")).to_contain_text("#C1")
        page.screenshot(path=screenshot_path("console-search"), full_page=True)
        # When they preview the redrive of the dead letter, then redrive it
        go(page, "Dead letters")
        expect(page.locator("main")).to_contain_text("gave up after 2 attempts")
        page.get_by_role("button", name="Preview redrive of these 1").click()
        expect(page.get_by_role("status")).to_contain_text("would put back 1")
        page.get_by_role("button", name="Redrive 1 now").click()
        expect(page.get_by_role("status")).to_contain_text("put back 1")
        page.screenshot(path=screenshot_path("console-redrive"), full_page=True)
        # And ask for a replay of the first customer's events: the dry run comes first
        go(page, "Replay")
        page.get_by_label("Customers").fill("cons-1")
        page.get_by_role("button", name="Dry run first").click()
        expect(page.get_by_role("status")).to_contain_text("Dry run: nothing was published")
        expect(page.get_by_role("button", name=re.compile("Replay these"))).to_be_visible()
        page.screenshot(path=screenshot_path("console-replay"), full_page=True)
        browser.close()
    # Then the redriven email arrived at the sandbox
    arrivals(sandbox, {notification_id(dead.id, "email", "order.placed")}, timeout=60)
    assert fetched and all(u.startswith(stack.gateway_url) for u in fetched), fetched
