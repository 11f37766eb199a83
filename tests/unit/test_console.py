"""The ops console's door and pages, in-process: who gets in (a session cookie after the
login page, or a bearer token), what a wrong token gets, the CSRF check on every form, and
the search and template pages a support person uses."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from ingesting import TOPICS, FakeKafka, connect
from pydantic import SecretStr
from test_render import request as rendered_request

from ingest.accept import Intake
from ingest.dedupe import SeenEvents
from ingest.gateway import create_gateway
from operate.activity import Activity, activity
from pages.customers import Customer
from pages.routes import page_routes
from runtime.settings import Settings
from schemas.codec import encode

TOKEN = "console-token-for-tests-0123"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
EMAIL = rendered_request("order.placed")
ORDER = {
    "subject": "#1001",
    "found": True,
    "customers": ["c-1"],
    "events": [
        {
            "event_type": "order.placed",
            "event_time": "2026-12-06T11:59:00+00:00",
            "order_number": "#1001",
            "channels": [
                {
                    "channel": "email",
                    "outcome": "sent",
                    "notification_id": EMAIL.notification_id,
                    "state": "delivered",
                    "steps": [{"at": "2026-12-06T11:59:01+00:00", "kind": "accepted"}],
                },
                {"channel": "sms", "outcome": "suppressed", "reason": "SMS was not chosen"},
            ],
        }
    ],
}


class Story:
    """A hand-written stand-in for the followed records: one order, one kept email."""

    waiting = None

    def order(self, order: str) -> dict[str, Any] | None:
        return ORDER if order in ("#1001", "1001") else None

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        return ORDER if customer_id == "c-1" else None

    def request(self, notification_id: str) -> bytes | None:
        return encode(EMAIL) if notification_id == EMAIL.notification_id else None

    def activity(self, now: datetime, minutes: int = 60) -> Activity:
        return activity([], now, minutes)


class People:
    waiting = None

    def get(self, customer_id: str) -> Customer:
        return Customer()

    def by_email(self, address: str) -> str | None:
        return "c-1" if address == "aino@example.fi" else None


def gateway(tokens: tuple[str, ...] = (TOKEN,)) -> Any:
    settings = Settings(console_tokens=[SecretStr(t) for t in tokens], shop_name="Moomin Shop")
    intake = Intake(TOPICS, SeenEvents(3600), sink=FakeKafka())
    pages = page_routes(settings, People(), Story(), clock=lambda: NOW)
    return create_gateway(settings, intake, clock=lambda: NOW, pages=pages)


async def logged_in(client: Any) -> None:
    page = await client.get("/console/login")
    csrf = _CSRF.findall(page.text)[0]
    answer = await client.post("/console/login", data={"token": TOKEN, "csrf": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    client.cookies.set("aftercart_console", cookie.split(";")[0].partition("=")[2])


async def test_without_tokens_the_console_is_off() -> None:
    async with connect(gateway(())) as client:
        for path in ("/console", "/console/login", "/console/search"):
            answer = await client.get(path)
            assert answer.status_code == 404 and "console is off" in answer.text


async def test_a_visitor_without_a_session_is_sent_to_the_login_page() -> None:
    async with connect(gateway()) as client:
        answer = await client.get("/console/search?q=1001")
        assert answer.status_code == 303 and answer.headers["location"] == "/console/login"


async def test_a_wrong_token_gets_a_plain_401_page_and_is_counted() -> None:
    async with connect(gateway()) as client:
        csrf = _CSRF.findall((await client.get("/console/login")).text)[0]
        wrong = await client.post("/console/login", data={"token": "guess", "csrf": csrf})
        bearer = await client.get("/console", headers={"authorization": "Bearer guess"})
        metrics = (await client.get("/metrics")).text
    for answer in (wrong, bearer):
        assert answer.status_code == 401 and "Traceback" not in answer.text
        assert "set-cookie" not in answer.headers
    assert "aftercart_console_login_failures_total 2.0" in metrics


async def test_a_session_finds_an_order_and_sees_its_email_as_sent() -> None:
    async with connect(gateway()) as client:
        await logged_in(client)
        for q in ("1001", "c-1", "aino@example.fi"):
            page = await client.get("/console/search", params={"q": q})
            assert page.status_code == 200
            assert "order placed, order #1001" in page.text
            assert '<iframe class="email" sandbox=""' in page.text  # runs no script
            assert "SMS was not chosen" in page.text
        unknown = await client.get("/console/search", params={"q": "#9999"})
    assert "Nothing is known about #9999" in unknown.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy
    assert "style-src 'self' 'unsafe-inline'" in policy  # the email's own inline styles


async def test_a_script_with_a_bearer_token_reads_pages_without_a_session() -> None:
    async with connect(gateway()) as client:
        answer = await client.get(
            "/console/templates",
            params={"template": "fulfillment.shipped", "language": "fi", "channel": "sms"},
            headers={"authorization": f"Bearer {TOKEN}"},
        )
    assert answer.status_code == 200 and "segment" in answer.text and "Posti" in answer.text


async def test_a_form_without_the_sessions_csrf_token_gets_403() -> None:
    async with connect(gateway()) as client:
        await logged_in(client)
        for path in ("/console/logout", "/console/dead-letters/redrive", "/console/replay/start"):
            answer = await client.post(path, data={"reason": "x", "topic": "events"})
            assert answer.status_code == 403 and "Form expired" in answer.text
        login = await client.post("/console/login", data={"token": TOKEN})
    assert login.status_code == 403


async def test_an_unknown_template_or_language_is_a_clear_400() -> None:
    async with connect(gateway()) as client:
        await logged_in(client)
        answer = await client.get("/console/templates", params={"language": "xx"})
    assert answer.status_code == 400 and "no templates for language" in answer.text
