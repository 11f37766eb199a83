"""Web push sign-up in a real browser: a shop's page signs headless Chromium up through the
gateway, and the order news the pipeline then pushes is shown by the gateway's service worker.

What is real: Chromium (Debian's, `make browser`), the shop's page on its own loopback origin
with the README's snippet pasted in, subscribe.js and sw.js as the gateway serves them (sw.js
proxied onto the shop's origin, as the README tells a shop to), the notification permission
(granted as when the customer clicks Allow), the service worker's registration, the
cross-origin POST with its CORS preflight, the gateway, Kafka, the stream processor, the push
worker (a VAPID-signed, aes128gcm-encrypted push) and the sandbox push service, which checks
the VAPID signature against the key the subscription was made with and decrypts the push with
the subscription's keys, as a browser would; and the notification the service worker shows,
read back with `registration.getNotifications()`.

What stands in, and why:
- `PushManager.prototype.subscribe`, only that method. Chromium subscribes through Google's
  push service (FCM), which cannot be reached here and cannot be swapped for another: in a
  Playwright context the real call fails at once ("not supported in incognito"), in a
  persistent profile it never returns. The stand-in asks the sandbox push service for a
  subscription bound to the applicationServerKey subscribe.js passed, with real P-256 keys.
- The push service to browser leg. The test hands the payload the sandbox decrypted to the
  service worker with DevTools' `ServiceWorker.deliverPushMessage`, which fires the same push
  event a push service's message would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import CHROMIUM_ARGS, screenshot_path
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright
from pydantic import SecretStr
from shop_site import shop_site
from stacks import order_placed, stack_settings

from aftercart.stack import Stack
from bench.measure import wait_until
from broker import free_ports
from channels.webpush import new_vapid_keys
from ingest.publisher import EventPublisher
from runtime import push_signup
from sandbox.client import SandboxClient
from schemas.codec import new_event
from schemas.events import CloudEvent
from schemas.notification import notification_id

SECRET = "browser-test-push-signup-secret"
CUSTOMER = "c-browser"
SIGNED_UP = "You will hear about your orders here"

# The one stand-in on the page (see the module's docstring): a subscription from the sandbox
# push service for the key subscribe.js passed. Everything else on the page is the real code.
SUBSCRIBE_STAND_IN = """
PushManager.prototype.subscribe = async function (options) {
  const bytes = new Uint8Array(options.applicationServerKey);
  const key = btoa(String.fromCharCode(...bytes))
    .replace(/[+]/g, "-").replace(/[/]/g, "_").replace(/=+$/, "");
  const json = await window.sandboxSubscription(key);
  return { endpoint: json.endpoint, expirationTime: null, options: options,
           toJSON: () => json, unsubscribe: async () => true };
};
"""
SHOWN = """async () => {
  const registration = await navigator.serviceWorker.getRegistration();
  return (await registration.getNotifications()).map((n) => ({
    title: n.title, body: n.body, tag: n.tag, url: n.data.url,
    notification_id: n.data.notification_id, at: n.timestamp }));
}"""


@pytest.fixture(scope="module")
def shop_port() -> int:
    (port,) = free_ports(1)
    return port


@pytest.fixture(scope="module")
def stack(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, shop_port: int
) -> Iterator[Stack]:
    """Sandbox, gateway, stream processor and push worker, the gateway signing up browsers
    of the shop's loopback origin with the push worker's VAPID key."""
    private, _ = new_vapid_keys()
    settings = stack_settings(
        kafka_bootstrap,
        tmp_path_factory.mktemp("push-signup"),
        push_allow_sandbox=True,
        vapid_private_key=SecretStr(private),
        push_signup_secret=SecretStr(SECRET),
        push_signup_origins=(f"http://127.0.0.1:{shop_port}",),
        # A real VAPID key: the workers refuse to send without the shop's name and address.
        shop_name="Loopback Shop",
        shop_url=f"http://127.0.0.1:{shop_port}",
    )
    with Stack(settings, Path(settings.data_dir), own_broker=False) as running:
        running.start(("streams", "push"))
        yield running


def publish(stack: Stack, *events: CloudEvent) -> None:
    with EventPublisher(stack.settings.kafka_bootstrap, stack.topics) as publisher:
        for event in events:
            publisher.publish(event)


def known_customer() -> list[CloudEvent]:
    """A customer who said nothing of push, with quiet hours that never hold while tests run."""
    profile = {"customer_id": CUSTOMER, "first_name": "Ilona", "email": "ilona@example.com"}
    quiet = {"customer_id": CUSTOMER, "quiet_hours": {"start": "00:00", "end": "00:00"}}
    return [
        new_event("customer.upserted", profile, source="test"),
        new_event("preferences.updated", quiet, source="test"),
    ]


def registration_ids(context: BrowserContext, page: Page) -> tuple[Any, dict[str, str]]:
    """A DevTools session on the page, and the service worker registrations it reports
    (scope URL: registration id), kept up to date."""
    cdp = context.new_cdp_session(page)
    scopes: dict[str, str] = {}

    def updated(event: dict[str, Any]) -> None:
        for registration in event["registrations"]:
            scopes[registration["scopeURL"]] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    cdp.send("ServiceWorker.enable")
    return cdp, scopes


def pushed(sandbox: SandboxClient, nid: str) -> dict[str, Any]:
    """The push the sandbox push service accepted for a notification, decrypted."""
    found: list[dict[str, Any]] = []

    def arrived() -> bool:
        found[:] = [
            m
            for m in sandbox.messages(channel="push", status="accepted")
            if m.get("notification_id") == nid
        ]
        return bool(found)

    wait_until(arrived, 30, f"the push of {nid} at the sandbox")
    return found[0]


def test_a_shop_page_signs_chromium_up_and_its_service_worker_shows_the_order_news(
    stack: Stack, shop_port: int, chromium: str
) -> None:
    sandbox = SandboxClient(stack.settings.sandbox_url)
    publish(stack, *known_customer())
    # The shop's backend signs the logged-in customer's id into the page.
    token = push_signup.token(SECRET.encode(), CUSTOMER, int(time.time()) + 600)
    with shop_site(shop_port, stack.gateway_url, token) as shop, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.grant_permissions(["notifications"], origin=shop)  # the customer clicks Allow
        context.expose_function(
            "sandboxSubscription", lambda key: sandbox.new_push_subscription(CUSTOMER, key)
        )
        context.add_init_script(SUBSCRIBE_STAND_IN)
        page = context.new_page()
        cdp, scopes = registration_ids(context, page)
        # Given the customer's account page on the shop's own origin
        page.goto(f"{shop}/account")
        # When the customer clicks the sign-up button
        page.click("#push-signup")
        # Then the page says so, which it does once the gateway answered after Kafka's ack
        expect(page.locator("#push-signup")).to_have_text(SIGNED_UP, timeout=20_000)
        # When the customer orders
        order = order_placed(CUSTOMER, "o-browser", "#4242")
        publish(stack, order)
        # Then the push worker pushes the news to the subscription the page signed up, with
        # the VAPID key subscribe.js subscribed with (the sandbox refuses any other)
        nid = notification_id(order.id, "push", "order.placed")
        payload = pushed(sandbox, nid)["payload"]
        # And the shop's service worker shows it, tagged with the order
        # (DevTools events reach Python only while Playwright is called: poll through it)
        wait_until(
            lambda: page.wait_for_timeout(50) or f"{shop}/" in scopes,
            10,
            "the service worker's registration",
        )
        registration = scopes[f"{shop}/"]
        message = {"origin": shop, "registrationId": registration, "data": json.dumps(payload)}
        cdp.send("ServiceWorker.deliverPushMessage", message)
        page.wait_for_function(f"({SHOWN})().then((shown) => shown.length > 0)", timeout=30_000)
        assert [{k: v for k, v in n.items() if k != "at"} for n in page.evaluate(SHOWN)] == [
            {
                "title": payload["title"],
                "body": payload["body"],
                "tag": "o-browser",
                "url": payload["url"],
                "notification_id": nid,
            }
        ]
        assert "#4242" in payload["title"] + payload["body"]
        # When the same push arrives a second time (sent again after a worker crash)
        first_at = page.evaluate(SHOWN)[0]["at"]
        cdp.send("ServiceWorker.deliverPushMessage", message)
        # Then it replaced the first: one notification of the order, shown anew. (One push at a
        # time: the service worker handles push events side by side, and Chromium can list an
        # old and a new notification of a tag for a moment while it replaces one.)
        shown: list[dict[str, Any]] = []

        def listed(done: Callable[[list[dict[str, Any]]], bool]) -> Callable[[], bool]:
            def look() -> bool:
                page.wait_for_timeout(50)  # DevTools and page calls need Playwright's loop
                shown[:] = page.evaluate(SHOWN)
                return done(shown)

            return look

        wait_until(
            listed(lambda now: len(now) == 1 and now[0]["at"] > first_at),
            30,
            "the second arrival to replace the first",
        )
        assert [(n["tag"], n["notification_id"]) for n in shown] == [("o-browser", nid)]
        # When news of another order arrives
        other = {**payload, "notification_id": "n-other", "tag": "o-other"}
        cdp.send("ServiceWorker.deliverPushMessage", {**message, "data": json.dumps(other)})
        # Then it is shown beside the first order's
        expected = [("o-browser", nid), ("o-other", "n-other")]

        def tags(now: list[dict[str, Any]]) -> list[tuple[str, str]]:
            return sorted((n["tag"], n["notification_id"]) for n in now)

        try:
            wait_until(listed(lambda now: tags(now) == expected), 30, "the other order's news")
        except TimeoutError:
            pass
        assert tags(shown) == expected
        page.screenshot(path=screenshot_path("push-signup"))
        browser.close()
