"""Each sender against a hand-written fake provider on a real local HTTP server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import FormData, web
from aiohttp.test_utils import TestServer
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from channels.errors import (
    ConfigurationError,
    DeliveryError,
    InvalidContact,
    OptedOut,
    PermanentError,
    RetriableError,
)
from channels.messages import EmailMessage, SmsMessage
from channels.sendgrid_email import NOTIFICATION_HEADER, SendGridEmail
from channels.twilio_sms import TwilioSms, form_body
from runtime.settings import Settings

KEY = "SG.unit-test.secret-value"
SID = "AC" + "1" * 32
EMAIL = EmailMessage(
    "n-1", "aino@example.fi", "Virtanen, Aino", "Your order", "text", "<p>h</p>", "cust-7"
)
SMS = SmsMessage("n-2", "+358401234567", "Moomin Shop: your order has shipped", "cust-7")


@dataclass
class Answer:
    status: int = 202
    body: Any = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class FakeProvider:
    """Records every request and answers with `answer`."""

    answer: Answer = field(default_factory=Answer)
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path_qs, dict(request.headers), await request.read()))
        await asyncio.sleep(self.answer.delay)
        if isinstance(self.answer.body, dict):
            return web.json_response(
                self.answer.body, status=self.answer.status, headers=self.answer.headers
            )
        return web.Response(
            text=self.answer.body, status=self.answer.status, headers=self.answer.headers
        )


# The server runs on the test's own loop (pyproject puts fixtures on the session loop).
@pytest_asyncio.fixture(loop_scope="function")
async def provider() -> AsyncIterator[tuple[FakeProvider, str]]:
    fake = FakeProvider()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


def settings(base: str, **extra: Any) -> Settings:
    return Settings(
        sendgrid_api_key=SecretStr(KEY),
        sendgrid_host=base,
        twilio_base_url=base,
        **extra,
    )


async def test_sendgrid_posts_the_sdk_body_and_returns_the_message_id(
    provider: tuple[FakeProvider, str],
) -> None:
    # given
    fake, base = provider
    fake.answer = Answer(202, "", {"X-Message-Id": "sg-msg-1"})
    sender = SendGridEmail(settings(base))
    # when
    receipt = await sender.send(EMAIL)
    await sender.close()
    # then
    assert (receipt.channel, receipt.notification_id, receipt.provider_id) == (
        "email",
        "n-1",
        "sg-msg-1",
    )
    path, headers, raw = fake.requests[0]
    body = json.loads(raw)
    assert path == "/v3/mail/send"
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert headers["User-Agent"].startswith("sendgrid/6.") and headers["User-Agent"].endswith(
        ";python"
    )
    assert body["personalizations"][0]["to"] == [
        {"email": "aino@example.fi", "name": '"Virtanen, Aino"'}
    ]
    # Delivery receipts come back naming the message and its customer
    assert body["custom_args"] == {"notification_id": "n-1", "customer_id": "cust-7"}
    # and a second send of it after a crash carries the same Message-ID
    assert body["headers"] == {NOTIFICATION_HEADER: "n-1", "Message-ID": "<n-1@shop.example>"}
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]


async def test_sendgrid_rejected_key_pauses_without_leaking_it(
    provider: tuple[FakeProvider, str],
) -> None:
    fake, base = provider
    fake.answer = Answer(
        401, {"errors": [{"message": "The provided authorization grant is invalid"}]}
    )
    sender = SendGridEmail(settings(base))
    with pytest.raises(ConfigurationError) as caught:
        await sender.send(EMAIL)
    await sender.close()
    assert caught.value.provider_code == "401"
    assert KEY not in str(caught.value) and "secret-value" not in repr(caught.value)


async def test_sendgrid_rate_limit_carries_the_reset(provider: tuple[FakeProvider, str]) -> None:
    fake, base = provider
    fake.answer = Answer(429, "", {"X-RateLimit-Reset": str(int(time.time()) + 30)})
    sender = SendGridEmail(settings(base))
    with pytest.raises(RetriableError) as caught:
        await sender.send(EMAIL)
    await sender.close()
    assert caught.value.retry_after is not None and 25 < caught.value.retry_after <= 30


async def test_sendgrid_bad_request_is_permanent_with_the_providers_text(
    provider: tuple[FakeProvider, str],
) -> None:
    fake, base = provider
    words = "The from email does not contain a valid address."
    fake.answer = Answer(400, {"errors": [{"message": words, "field": "from.email"}]})
    sender = SendGridEmail(settings(base))
    with pytest.raises(PermanentError) as caught:
        await sender.send(EMAIL)
    await sender.close()
    assert type(caught.value) is PermanentError and caught.value.provider_code == "400"
    assert words in str(caught.value) and len(fake.requests) == 1


async def test_sendgrid_does_not_follow_redirects(provider: tuple[FakeProvider, str]) -> None:
    fake, base = provider
    fake.answer = Answer(307, "", {"Location": "http://169.254.169.254/latest/meta-data"})
    sender = SendGridEmail(settings(base))
    with pytest.raises(ConfigurationError):
        await sender.send(EMAIL)
    await sender.close()
    assert len(fake.requests) == 1


async def test_unreachable_provider_is_retriable() -> None:
    sender = SendGridEmail(settings("http://127.0.0.1:9"))  # discard port: nothing listens
    with pytest.raises(RetriableError):
        await sender.send(EMAIL)
    await sender.close()


async def test_slow_provider_times_out_as_retriable(provider: tuple[FakeProvider, str]) -> None:
    fake, base = provider
    fake.answer = Answer(202, "", delay=2.0)
    sender = SendGridEmail(settings(base), timeout_s=0.2)
    with pytest.raises(RetriableError):
        await sender.send(EMAIL)
    await sender.close()


async def test_twilio_creates_a_message_with_a_status_callback(
    provider: tuple[FakeProvider, str],
) -> None:
    # given
    fake, base = provider
    fake.answer = Answer(201, {"sid": "SM123", "status": "queued"})
    sender = TwilioSms(settings(base, public_url="https://hooks.shop.example"))
    # when
    receipt = await sender.send(SMS)
    await sender.close()
    # then
    assert receipt.provider_id == "SM123"
    path, headers, raw = fake.requests[0]
    form = dict(pair.split("=", 1) for pair in raw.decode().split("&"))
    assert path.endswith("/Messages.json") and headers["Authorization"].startswith("Basic ")
    assert form["To"] == "%2B358401234567" and form["From"] == "%2B15005550006"
    assert "notification_id%3Dn-2%26customer_id%3Dcust-7" in form["StatusCallback"]


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, 21610, OptedOut),
        (400, 21211, InvalidContact),
        (400, 21614, InvalidContact),
        (400, 30006, PermanentError),
        (429, 20429, RetriableError),
        (401, 20003, ConfigurationError),
        (500, None, RetriableError),
    ],
)
async def test_twilio_refusals(
    provider: tuple[FakeProvider, str], status: int, code: int | None, kind: type[DeliveryError]
) -> None:
    fake, base = provider
    body = {"status": status, "message": "no"} | ({"code": code} if code else {})
    fake.answer = Answer(status, body)
    sender = TwilioSms(settings(base))
    with pytest.raises(kind) as caught:
        await sender.send(SMS)
    await sender.close()
    assert type(caught.value) is kind
    assert caught.value.provider_code == str(code or status)


async def test_twilio_timeout_is_enforced(provider: tuple[FakeProvider, str]) -> None:
    # the SDK passes timeout=None to aiohttp, which would wait forever on its own
    fake, base = provider
    fake.answer = Answer(201, {"sid": "SM1"}, delay=3.0)
    sender = TwilioSms(settings(base), timeout_s=0.2)
    started = time.perf_counter()
    with pytest.raises(RetriableError):
        await sender.send(SMS)
    await sender.close()
    assert time.perf_counter() - started < 2.0


# Text that encodes to UTF-8: anything but lone surrogates.
_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@given(st.dictionaries(st.sampled_from(["To", "From", "Body", "Status Callback", "ä&="]), _TEXT))
def test_twilio_form_body_is_what_aiohttp_would_send(data: dict[str, str]) -> None:
    # the SDK's form goes out as aiohttp's FormData would have encoded it, byte for byte
    assert form_body(data) == FormData(data)()._value


async def test_twilio_body_is_the_urlencoded_form_in_sdk_order(
    provider: tuple[FakeProvider, str],
) -> None:
    fake, base = provider
    fake.answer = Answer(201, {"sid": "SM1", "status": "queued"})
    sender = TwilioSms(settings(base, public_url="https://hooks.shop.example"))
    await sender.send(SmsMessage("n 3/ä", "+358401234567", "Hi Aino & co: 100% €5 ~ok?"))
    await sender.close()
    _, headers, raw = fake.requests[0]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert raw == (
        b"To=%2B358401234567"
        b"&StatusCallback=https%3A%2F%2Fhooks.shop.example%2Freceipts%2Ftwilio"
        b"%3Fnotification_id%3Dn%25203%2F%25C3%25A4"
        b"&From=%2B15005550006"
        b"&Body=Hi+Aino+%26+co%3A+100%25+%E2%82%AC5+~ok%3F"
    )
