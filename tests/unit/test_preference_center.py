"""The preference center on the gateway: a signed link shows a customer's choices in their
language, and a form sent back with the page's CSRF token publishes what it changed; every
other link or form gets a page that says why, and changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ingesting import TOPICS, FakeKafka, connect
from pydantic import SecretStr

from ingest.accept import Intake
from ingest.dedupe import SeenEvents
from ingest.gateway import create_gateway
from pages.customers import Customer
from pages.routes import page_routes
from runtime import preference_links, signing, unsubscribe
from runtime.settings import Settings
from schemas.codec import decode_event

SECRET = b"preference-center-secret"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SMS_FOR_ORDERS = {"transactional": {"sms": True}}
_BOX = re.compile(r'<input type="checkbox" id="([a-z.]+)" name="[a-z.]+"( checked)?>')
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Known:
    """A hand-written CustomerView: the customers it was given, caught up (or not)."""

    def __init__(self, waiting: str | None = None, **customers: Customer) -> None:
        self.waiting = waiting
        self.customers = customers

    def get(self, customer_id: str) -> Customer:
        return self.customers.get(customer_id, Customer())


def link(customer: str = "c1", expires: datetime = NOW + timedelta(days=30)) -> str:
    token = preference_links.token(SECRET, customer, int(expires.timestamp()))
    return f"/preferences/{token}"


def checked(page: str) -> set[str]:
    return {name for name, on in _BOX.findall(page) if on}


def csrf(page: str) -> str:
    return _CSRF.findall(page)[0]


class Gateway:
    def __init__(self, view: Known, secret: bytes | None = SECRET) -> None:
        self.kafka = FakeKafka()
        settings = Settings(
            preferences_secret=SecretStr(secret.decode()) if secret else None,
            shop_name="Moomin Shop",
        )
        intake = Intake(TOPICS, SeenEvents(3600), sink=self.kafka)
        pages = page_routes(settings, view, clock=lambda: NOW)
        self.app = create_gateway(settings, intake, clock=lambda: NOW, pages=pages)

    def published(self) -> list[dict[str, Any]]:
        events = [decode_event(r.value) for r in self.kafka.on(TOPICS.events)]
        assert {e.type for e in events} <= {"preferences.updated"}
        return [e.data.model_dump(mode="json", exclude_none=True) for e in events]  # type: ignore[attr-defined]


async def test_the_page_shows_the_customers_choices_in_their_language() -> None:
    gateway = Gateway(Known(c1=Customer("fi-FI", "Aino", False, SMS_FOR_ORDERS)))
    async with connect(gateway.app) as client:
        page = await client.get(link())
    assert page.status_code == 200
    assert '<html lang="fi">' in page.text and "Tilausviestit" in page.text
    # order news by email (by default) and SMS (chosen); no push without a browser signed
    # up; no marketing without consent
    assert checked(page.text) == {"orders.email", "orders.sms", "shipping.email", "shipping.sms"}
    # every control has a label
    for name, _ in _BOX.findall(page.text):
        assert f'<label for="{name}"' in page.text
    # the signed link does not leave by the referrer, nor the page load anything from elsewhere
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text and "http" not in page.text.split("<body>")[1]


async def test_switching_sms_off_for_shipping_publishes_only_that() -> None:
    gateway = Gateway(Known(c1=Customer("en", "Aino", False, SMS_FOR_ORDERS)))
    async with connect(gateway.app) as client:
        page = await client.get(link())
        shown = checked(page.text) - {"shipping.sms"}
        form = {**dict.fromkeys(shown, "on"), "csrf": csrf(page.text), "action": "save"}
        form |= {"quiet_start": "21:00", "quiet_end": "08:00"}  # the shop's, as shown
        saved = await client.post(link(), data=form)
    assert saved.status_code == 200 and "Saved" in saved.text
    assert "shipping.sms" not in checked(saved.text)
    assert gateway.published() == [
        {"customer_id": "c1", "shipping": {"sms": False}, "via": "preference center"}
    ]


async def test_a_page_saved_untouched_says_nothing_new() -> None:
    gateway = Gateway(Known(c1=Customer("en", "", False, None)))
    async with connect(gateway.app) as client:
        page = await client.get(link())
        form = {**dict.fromkeys(checked(page.text), "on"), "csrf": csrf(page.text)}
        saved = await client.post(link(), data=form)
    assert saved.status_code == 200
    assert gateway.published() == []  # push stays "on once a browser signs up"


async def test_unsubscribing_from_all_marketing_and_pausing_offers() -> None:
    gateway = Gateway(Known(c1=Customer("en", "", False, {"marketing": {"email": True}})))
    async with connect(gateway.app) as client:
        page = await client.get(link())
        token = csrf(page.text)
        paused = await client.post(
            link(), data={**dict.fromkeys(checked(page.text), "on"), "csrf": token, "pause": "on"}
        )
        gone = await client.post(link(), data={"csrf": token, "action": "unsubscribe"})
    assert "Offers and reminders are paused until January 5, 2027." in paused.text
    assert 'id="pause" name="pause" checked' in paused.text
    assert "You are unsubscribed" in gone.text
    pause, unsubscribe_all = gateway.published()
    assert pause["marketing_paused_until"].startswith("2027-01-05T12:00:00")
    assert unsubscribe_all["marketing"] == {"email": False, "sms": False, "push": False}


@pytest.mark.parametrize(
    ("path", "said"),
    [
        (link()[:-3] + "abc", "This link does not work"),  # tampered
        (link("c2")[: link("c2").index(".")] + link()[link().index(".") :], "does not work"),
        ("/preferences/" + signing.sign("unsubscribe", "c1\n9999999999", SECRET), "not work"),
        ("/preferences/" + unsubscribe.token(SECRET, "c1"), "does not work"),
        ("/preferences/nothing-signed", "does not work"),
        (link(expires=NOW - timedelta(seconds=1)), "This link has expired"),
    ],
)
async def test_a_link_not_ours_or_expired_gets_403_and_changes_nothing(
    path: str, said: str
) -> None:
    gateway = Gateway(Known(c1=Customer()))
    async with connect(gateway.app) as client:
        shown = await client.get(path)
        posted = await client.post(path, data={"action": "unsubscribe"})
    assert (shown.status_code, posted.status_code) == (403, 403)
    assert said in shown.text and said in posted.text
    assert gateway.published() == []


async def test_a_form_without_this_pages_csrf_token_gets_403() -> None:
    gateway = Gateway(Known(c1=Customer(), c2=Customer()))
    async with connect(gateway.app) as client:
        other = csrf((await client.get(link("c2"))).text)
        for form in ({"action": "unsubscribe"}, {"action": "unsubscribe", "csrf": other}):
            answer = await client.post(link(), data=form)
            assert answer.status_code == 403 and "This form has expired" in answer.text
    assert gateway.published() == []


@pytest.mark.parametrize(
    ("form", "named"),
    [
        ({"gifts.email": "on"}, "unknown category or channel: gifts.email"),
        ({"orders.fax": "on"}, "unknown category or channel: orders.fax"),
        ({"orders.email": "yes"}, "orders.email is on or left out"),
        ({"colour": "red"}, "unknown field: colour"),
        ({"action": "delete"}, "unknown action: delete"),
        ({"quiet_start": "25:00", "quiet_end": "08:00"}, "quiet hours are two times"),
    ],
)
async def test_a_form_the_page_never_sends_gets_400(form: dict[str, str], named: str) -> None:
    gateway = Gateway(Known(c1=Customer()))
    async with connect(gateway.app) as client:
        token = csrf((await client.get(link())).text)
        answer = await client.post(link(), data={**form, "csrf": token})
    assert answer.status_code == 400 and named in answer.text
    assert gateway.published() == []


async def test_without_a_secret_the_pages_are_closed() -> None:
    gateway = Gateway(Known(), secret=None)
    async with connect(gateway.app) as client:
        answer = await client.get(link())
        style = await client.get("/assets/pages.css")
    assert answer.status_code == 404 and "not available" in answer.text
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")


async def test_until_the_customers_are_read_the_page_says_try_again() -> None:
    gateway = Gateway(Known(waiting="reading the pipeline's records, 40 left"))
    async with connect(gateway.app) as client:
        answer = await client.get(link(), headers={"accept-language": "hu-HU,hu;q=0.9"})
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert '<html lang="hu">' in answer.text
