"""The real Twilio SDK against the sandbox's Messages resource."""

from __future__ import annotations

import base64
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sandbox_http import call
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from sandbox.testing import SandboxHandle
from sandbox.twilio import segments

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "token-not-a-secret"
CALLBACK = "https://gateway.example/twilio/status?notification_id=n-{}"


def client(sandbox: SandboxHandle, **kwargs: Any) -> Client:
    twilio = Client(SID, TOKEN, **kwargs)
    twilio.api.base_url = sandbox.base_url  # the same knob production leaves at api.twilio.com
    return twilio


def raw_post(sandbox: SandboxHandle, form: dict[str, str], user: str = SID) -> tuple[int, Any]:
    auth = base64.b64encode(f"{user}:{TOKEN}".encode()).decode()
    req = urllib.request.Request(
        f"{sandbox.base_url}/2010-04-01/Accounts/{SID}/Messages.json",
        urlencode(form).encode(),
        {"Authorization": f"Basic {auth}", "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    return call(req)


def test_sdk_create_parses_the_message(sandbox: SandboxHandle) -> None:
    message = client(sandbox).messages.create(
        to="+15551234567",
        from_="+15005550006",
        body="Your order shipped.",
        status_callback=CALLBACK.format(1),
    )

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert (message.account_sid, message.status, message.num_segments) == (SID, "queued", "1")
    assert (message.to, message.from_, message.body) == (
        "+15551234567",
        "+15005550006",
        "Your order shipped.",
    )
    assert message.date_created is not None
    assert abs(message.date_created - datetime.now(UTC)) < timedelta(minutes=1)
    assert message.uri == f"/2010-04-01/Accounts/{SID}/Messages/{message.sid}.json"
    [entry] = sandbox.messages(channel="sms")
    assert entry["status"] == "accepted"
    assert (entry["recipient"], entry["text"]) == ("+15551234567", "Your order shipped.")
    assert (entry["notification_id"], entry["provider_id"]) == ("n-1", message.sid)


async def test_async_client_creates_the_message(sandbox: SandboxHandle) -> None:
    http = AsyncTwilioHttpClient()
    try:
        message = await client(sandbox, http_client=http).messages.create_async(
            to="+15557654321",
            from_="+15005550006",
            body="Async",
            status_callback=CALLBACK.format(2),
        )
    finally:
        await http.close()

    assert message.status == "queued"
    [entry] = sandbox.messages(channel="sms")
    assert entry["notification_id"] == "n-2"


def test_missing_to_breaks_the_contract(sandbox: SandboxHandle) -> None:
    status, error = raw_post(sandbox, {"From": "+15005550006", "Body": "x"})

    assert status == 400
    assert error == {
        "code": 21604,
        "message": "A 'To' phone number is required.",
        "more_info": "https://www.twilio.com/docs/errors/21604",
        "status": 400,
    }
    [entry] = sandbox.messages(channel="sms", status="rejected")
    assert "21604" in entry["error"]


def test_empty_to_through_the_sdk_is_21604(sandbox: SandboxHandle) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client(sandbox).messages.create(to="", from_="+15005550006", body="x")
    assert (raised.value.status, raised.value.code) == (400, 21604)


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"To": "555-1234", "From": "+15005550006", "Body": "x"}, 21211),
        ({"To": "+15551234567", "Body": "x"}, 21603),
        ({"To": "+15551234567", "From": "+15005550006"}, 21602),
        ({"To": "+15551234567", "From": "+15005550006", "Body": "x" * 1601}, 21617),
        ({"To": "+15551234567", "From": "+15005550006", "Body": "x", "Attempt": "two"}, 70002),
    ],
)
def test_live_api_rules(sandbox: SandboxHandle, form: dict[str, str], code: int) -> None:
    status, error = raw_post(sandbox, form)
    assert (status, error["code"]) == (400, code)


def test_basic_auth_user_must_be_the_account_in_the_path(sandbox: SandboxHandle) -> None:
    status, error = raw_post(sandbox, {"To": "+15551234567"}, user="AC" + "f" * 32)

    assert status == 401
    assert error == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    [entry] = sandbox.messages(channel="sms", status="rejected")
    assert entry["error"] == "401 20003 Authenticate"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 1),
        ("a" * 160, 1),  # GSM-7: 160 in one segment, 153 per segment after that
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("{" * 80, 1),  # extension characters take two septets
        ("{" * 81, 2),
        ("é" * 160, 1),  # é is in the GSM-7 basic set
        ("😀" * 35, 1),  # UCS-2: 70 code units, an emoji is two
        ("😀" * 36, 2),
    ],
)
def test_segments(text: str, count: int) -> None:
    assert segments(text) == count
