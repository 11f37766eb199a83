"""The preference center in a real browser, with JavaScript off, against `aftercart up`'s
processes: a customer opens the link from a real email in the sandbox's outbox, switches
SMS off for shipping news, and the next shipment reaches them by email and not by SMS, with
`explain` saying who switched it off, when and where; a tampered link gets 403.

What is real: Chromium (Debian's), the gateway serving the page and taking the form, Kafka,
the stream processor folding the preferences event in and deciding by it, the email and SMS
workers, the sandbox's SendGrid and Twilio. The page is used as a person uses it: found by
its labels, at a phone's width, with no script running."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import CHROMIUM_ARGS, screenshot_path
from playwright.sync_api import Request, expect, sync_playwright
from pydantic import SecretStr
from stacks import order_placed, run_json, stack_settings
from test_pipeline import arrivals, customer, publish

from aftercart.stack import Stack
from bench.measure import wait_until
from sandbox.client import SandboxClient
from schemas.codec import new_event
from schemas.notification import notification_id

CID = "c-prefs"
PHONE_WIDTH = {"width": 390, "height": 844}
SWITCHED_OFF = re.compile(
    r"SMS is switched off for shipping news by the customer on \d{4}-\d{2}-\d{2} "
    r"\(preference center\)"
)


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Gateway, stream processor, email and SMS workers; emails link to the gateway's pages."""
    settings = stack_settings(
        kafka_bootstrap,
        tmp_path_factory.mktemp("preference-center"),
        preferences_secret=SecretStr("browser-test-preference-secret"),
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
