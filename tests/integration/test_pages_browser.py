"""The web pages in a real browser against `aftercart up`'s processes, on one stack.

The preference center, with JavaScript off: a customer opens the link from a real email in the
sandbox's outbox, switches SMS off for shipping news, and the next shipment reaches them by
email and not by SMS, with `explain` saying who switched it off, when and where; a tampered
link gets 403. The page is used as a person uses it: found by its labels, at a phone's width.

The ops console, with JavaScript on (the overview refreshes itself): log in, see the overview,
find an order and see its email as it was sent, redrive a dead letter and see it arrive at the
sandbox, and run a replay after its dry run, which sends nothing twice.

What is real: Chromium (Debian's), the gateway serving the pages, taking the forms and
following the pipeline's topics, Kafka, the stream processor, the email and SMS workers, the
sandbox's SendGrid (down for a while in the console's test) and Twilio. Nothing the pages use
comes from anywhere but the gateway."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import CHROMIUM_ARGS, screenshot_path
from playwright.sync_api import Page, Request, expect, sync_playwright
from pydantic import SecretStr
from stacks import order_placed, run_json, stack_settings, wait_committed
from test_pipeline import arrivals, customer, publish

from aftercart.stack import Stack
from bench.measure import wait_until
from operate.redrive import read_entries
from sandbox.client import SandboxClient
from schemas.codec import new_event
from schemas.notification import notification_id

CID = "c-prefs"
TOKEN = "browser-test-console-token"
PHONE_WIDTH = {"width": 390, "height": 844}
SWITCHED_OFF = re.compile(
    r"SMS is switched off for shipping news by the customer on \d{4}-\d{2}-\d{2} "
    r"\(preference center\)"
)


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Gateway with the preference center and the console on, stream processor, email and SMS
    workers; emails link to the gateway's pages; two attempts, so an outage dead-letters
    within seconds."""
    settings = stack_settings(
        kafka_bootstrap,
        tmp_path_factory.mktemp("pages"),
        preferences_secret=SecretStr("browser-test-preference-secret"),
        console_tokens=[SecretStr(TOKEN)],
        channel_max_attempts=2,
        shop_name="Loopback Shop",
    )
    settings = settings.model_copy(
        update={"public_url": f"http://127.0.0.1:{settings.gateway_port}"}
    )
    with Stack(settings, Path(settings.data_dir), own_broker=False) as running:
        running.start(("streams", "email", "sms"))
        yield running


def shipped(order_id: str) -> Any:
    data = {
        "customer_id": CID,
        "order_id": order_id,
        "order_number": "#77",
        "fulfillment_id": "f-1",
    }
    return new_event("fulfillment.shipped", data, source="test")


def test_a_customer_switches_sms_off_for_shipping_from_the_link_in_an_email(
    stack: Stack, chromium: str, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    # Given a customer who chose SMS for order news, and the email of their first order
    publish(stack, *customer(CID, "email", "sms", sandbox=sandbox))
    placed = order_placed(CID, "o-prefs", "#77")
    publish(stack, placed)
    email_id = notification_id(placed.id, "email", "order.placed")
    email = arrivals(sandbox, {email_id, notification_id(placed.id, "sms", "order.placed")})
    [link] = re.findall(r"http://127\.0\.0\.1:\d+/preferences/\S+", email[email_id]["text"])
    assert link.startswith(stack.gateway_url)
    fetched: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(java_script_enabled=False, viewport=PHONE_WIDTH)
        page = context.new_page()
        page.on("request", lambda request: fetched.append(_url(request)))
        # When they open it: their choices, with SMS on for shipping news
        page.goto(link)
        sms_for_shipping = page.get_by_label("Shipping and delivery by SMS")
        expect(sms_for_shipping).to_be_checked()
        expect(page.get_by_label("Order updates by Email")).to_be_checked()
        # the page fits a phone's width
        table = page.locator("table").bounding_box()
        assert table is not None and table["x"] + table["width"] <= PHONE_WIDTH["width"]
        page.screenshot(path=screenshot_path("preference-center"), full_page=True)
        # And switch SMS off for shipping news and save
        sms_for_shipping.uncheck()
        page.get_by_role("button", name="Save my choices").click()
        expect(page.get_by_role("status")).to_have_text(re.compile("Saved"))
        expect(page.get_by_label("Shipping and delivery by SMS")).not_to_be_checked()
        expect(page.get_by_label("Order updates by SMS")).to_be_checked()
        page.screenshot(path=screenshot_path("preference-center-saved"), full_page=True)
        # And a tampered link gets a clear 403 page
        tampered = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
        answer = page.goto(tampered)
        assert answer is not None and answer.status == 403
        expect(page.get_by_role("heading")).to_have_text("This link does not work")
        browser.close()
    # Nothing the pages used came from outside the gateway
    assert fetched and all(url.startswith(stack.gateway_url) for url in fetched), fetched
    # When the order ships
    parcel = shipped("o-prefs")
    publish(stack, parcel)
    # Then it arrives by email, and explain says why not by SMS
    arrivals(sandbox, {notification_id(parcel.id, "email", "fulfillment.shipped")})

    def explained() -> bool:
        return bool(SWITCHED_OFF.search(json.dumps(run_json(capsys, "explain", "#77"))))

    wait_until(explained, 30, "explain to say SMS was switched off for shipping")
    texts = sandbox.messages(channel="sms", fields=["notification_id"])
    assert notification_id(parcel.id, "sms", "fulfillment.shipped") not in {
        m["notification_id"] for m in texts
    }


def _url(request: Request) -> str:
    return request.url


def go(page: Page, section: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=section).click()


def test_an_operator_finds_an_order_redrives_a_dead_letter_and_replays_after_a_dry_run(
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
        page.locator("table.data a").first.click()  # one dead letter, whole
        expect(page.locator("main")).to_contain_text("Attempts")
        expect(page.locator("main pre")).to_contain_text("#C2")  # the notification it held
        go(page, "Dead letters")
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
        page.screenshot(path=screenshot_path("console-replay"), full_page=True)
        # And then run it: its page follows it to the end (the ledgers send nothing twice)
        page.get_by_role("button", name=re.compile("Replay these")).click()
        expect(page.get_by_role("status")).to_contain_text("Done: replay r-", timeout=60_000)
        browser.close()
    # Then the redriven email arrived at the sandbox, and the replay sent nothing twice
    arrivals(sandbox, {notification_id(dead.id, "email", "order.placed")}, timeout=60)
    first_email = notification_id(sent.id, "email", "order.placed")
    t = stack.topics
    pairs = [(t.streams_app_id, t.events), (t.channel_app_id("email"), t.notify("email"))]
    wait_committed(stack, pairs, 60, "the pipeline to take the replay")
    sent_ids = [m["notification_id"] for m in sandbox.messages(status="accepted")]
    assert sent_ids.count(first_email) == 1
    assert fetched and all(u.startswith(stack.gateway_url) for u in fetched), fetched
