"""Fault profiles: providers that fail, rate-limit, slow down or hang, as the real ones do."""

from __future__ import annotations

import base64
import json
import math
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from email.message import Message
from typing import Any
from urllib.parse import urlencode

import pytest
from python_http_client.exceptions import ServiceUnavailableError, TooManyRequestsError
from sandbox_http import exchange
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Mail
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from runtime.child_env import settings_env
from runtime.settings import Settings
from sandbox.faults import ChannelProfile, Faults
from sandbox.testing import SandboxHandle

SID = "AC" + "0" * 32
TOKEN = "token-not-a-secret"


def mail(notification_id: str = "n-1") -> Mail:
    message = Mail("orders@shop.example", "jane@example.com", "Shipped", plain_text_content="Hi")
    message.custom_arg = CustomArg("notification_id", notification_id, p=0)
    return message


def send(sandbox: SandboxHandle, channel: str, timeout: float = 10.0) -> tuple[int, Message, Any]:
    """One valid request for email and sms; for push, one to a subscriber that is gone (410)."""
    if channel == "email":
        path, body = "/v3/mail/send", json.dumps(mail().get()).encode()
        headers = {"Authorization": "Bearer SG.key", "Content-Type": "application/json"}
    elif channel == "sms":
        path = f"/2010-04-01/Accounts/{SID}/Messages.json"
        body = urlencode({"To": "+15551234567", "From": "+15005550006", "Body": "Hi"}).encode()
        auth = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        headers = {
            "Authorization": f"Basic {auth}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
    else:
        path, body, headers = "/push/gone", b"", {"TTL": "60"}
    req = urllib.request.Request(sandbox.base_url + path, body, headers, method="POST")
    return exchange(req, timeout)


def twilio(sandbox: SandboxHandle) -> Client:
    client = Client(SID, TOKEN)
    client.api.base_url = sandbox.base_url
    return client


@pytest.mark.parametrize(
    ("channel", "body"),
    [
        (
            "email",
            {"errors": [{"message": "Service Unavailable", "field": None, "help": None}]},
        ),
        (
            "sms",
            {
                "code": 20503,
                "message": "Service Unavailable",
                "more_info": "https://www.twilio.com/docs/errors/20503",
                "status": 503,
            },
        ),
        (
            "push",
            {
                "code": 503,
                "errno": None,
                "error": "Service Unavailable",
                "message": "Service Unavailable",
                "more_info": "https://mozilla-services.github.io/autopush-rs/errors.html",
            },
        ),
    ],
)
def test_an_outage_fails_every_request_in_the_providers_words(
    sandbox: SandboxHandle, channel: str, body: dict[str, Any]
) -> None:
    sandbox.set_faults(channel, {"errors": {"503": 1.0}})

    answers = [send(sandbox, channel) for _ in range(5)]

    assert [(status, answer) for status, _, answer in answers] == [(503, body)] * 5
    entries = sandbox.messages()
    assert [(e["channel"], e["status"]) for e in entries] == [(channel, "faulted")] * 5
    assert entries[0]["error"] == "503 Service Unavailable (injected fault)"


def test_a_seeded_split_is_as_configured_and_repeats(sandbox: SandboxHandle) -> None:
    profile = {"errors": {"503": 0.5}, "seed": 11}

    sandbox.set_faults("sms", profile)
    first = [send(sandbox, "sms")[0] for _ in range(200)]
    sandbox.set_faults("sms", profile)  # setting it again starts the sequence again
    second = [send(sandbox, "sms")[0] for _ in range(200)]

    assert first == second
    assert set(first) == {201, 503}
    assert 85 <= first.count(503) <= 115
    faulted = 2 * first.count(503)
    assert sandbox.stats()["channels"]["sms"] == {
        "accepted": 400 - faulted,
        "rejected": 0,
        "faulted": faulted,
    }


def test_draws_follow_every_fraction() -> None:
    profile = ChannelProfile.from_json(
        {"errors": {"500": 0.1, "503": 0.2}, "rate_limit": 0.1, "timeout": 0.05, "seed": 1}
    )
    faults = Faults({"push": profile})

    draws = [faults.draw("push")[1] for _ in range(20_000)]

    counts = Counter(f.status if f else None for f in draws)
    shares = {status: n / len(draws) for status, n in counts.items()}
    expected = {500: 0.1, 503: 0.2, 429: 0.1, 504: 0.05, None: 0.55}
    assert shares.keys() == expected.keys()
    assert all(abs(shares[s] - expected[s]) < 0.015 for s in expected), shares
    assert faults.draw("email") == (0.0, None)  # a channel without a profile behaves


def test_sendgrid_rate_limit_says_when_it_resets(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("email", {"rate_limit": 1.0, "retry_after_s": 3})
    client = SendGridAPIClient("SG.key", host=sandbox.base_url)

    with pytest.raises(TooManyRequestsError) as raised:
        client.send(mail())

    headers = raised.value.headers
    assert "Retry-After" not in headers  # SendGrid gives the reset time instead
    reset = int(headers["X-RateLimit-Reset"])
    assert time.time() + 2 <= reset <= math.ceil(time.time()) + 3
    assert headers["X-RateLimit-Remaining"] == "0"
    assert json.loads(raised.value.body) == {
        "errors": [{"message": "too many requests", "field": None, "help": None}]
    }


def test_twilio_rate_limit_is_20429_with_retry_after(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("sms", {"rate_limit": 1.0, "retry_after_s": 2})

    with pytest.raises(TwilioRestException) as raised:
        twilio(sandbox).messages.create(to="+15551234567", from_="+15005550006", body="Hi")
    status, headers, body = send(sandbox, "sms")

    assert (raised.value.status, raised.value.code) == (429, 20429)
    assert (status, headers["Retry-After"], body["code"]) == (429, "2", 20429)


def test_push_rate_limit_carries_retry_after(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("push", {"rate_limit": 1.0, "retry_after_s": 5})

    status, headers, body = send(sandbox, "push")

    assert (status, headers["Retry-After"]) == (429, "5")
    assert (body["code"], body["error"]) == (429, "Too Many Requests")


def test_latency_slows_every_answer_but_changes_none(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("email", {"latency_ms": 300})

    started = time.monotonic()
    response = SendGridAPIClient("SG.key", host=sandbox.base_url).send(mail())
    elapsed = time.monotonic() - started

    assert response.status_code == 202
    assert elapsed >= 0.25
    assert [e["status"] for e in sandbox.messages()] == ["accepted"]


def test_a_timeout_hangs_past_the_clients_patience(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("sms", {"timeout": 1.0, "hang_s": 1.0})

    with pytest.raises((TimeoutError, urllib.error.URLError)):
        send(sandbox, "sms", timeout=0.2)

    [entry] = sandbox.messages()
    assert entry["status"] == "faulted"
    assert entry["error"] == "timeout: hung 1 s, then 504 (injected fault)"


def test_faulted_sends_never_count_as_delivered(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("email", {"errors": {"503": 0.5}, "seed": 5})
    client = SendGridAPIClient("SG.key", host=sandbox.base_url)

    delivered, failed = set(), set()
    for i in range(40):
        try:
            client.send(mail(f"n-{i}"))
            delivered.add(f"n-{i}")
        except ServiceUnavailableError:
            failed.add(f"n-{i}")

    assert delivered and failed
    accepted = {e["notification_id"] for e in sandbox.messages(status="accepted")}
    assert accepted == delivered
    faulted = sandbox.messages(status="faulted")
    assert len(faulted) == len(failed)
    assert all(e["notification_id"] is None for e in faulted)  # nothing to count them by


def test_a_cleared_profile_answers_normally(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("email", {"errors": {"500": 1.0}})
    sandbox.set_faults("sms", {"errors": {"500": 1.0}})
    assert sorted(sandbox.faults()) == ["email", "sms"]

    sandbox.clear_faults("email")
    assert send(sandbox, "email")[0] == 202
    assert send(sandbox, "sms")[0] == 500
    sandbox.clear_faults()
    assert send(sandbox, "sms")[0] == 201
    assert sandbox.faults() == {}


def test_the_sandbox_shows_the_profile_it_holds(sandbox: SandboxHandle) -> None:
    held = sandbox.set_faults("push", {"errors": {"502": 0.25}, "latency_ms": 5})

    assert held == {
        "errors": {"502": 0.25},
        "rate_limit": 0.0,
        "retry_after_s": 1,
        "latency_ms": 5.0,
        "timeout": 0.0,
        "hang_s": 30.0,
        "seed": None,
        "count": None,
    }
    assert sandbox.faults() == {"push": held}


def test_a_counted_profile_fails_that_many_requests_then_answers(sandbox: SandboxHandle) -> None:
    sandbox.set_faults("email", {"errors": {"503": 1.0}, "count": 2})
    assert [send(sandbox, "email")[0] for _ in range(4)] == [503, 503, 202, 202]
    sandbox.set_faults("email", {"errors": {"503": 1.0}, "count": 1})  # set again: counts anew
    assert [send(sandbox, "email")[0] for _ in range(2)] == [503, 202]


@pytest.mark.parametrize(
    ("channel", "profile", "problem"),
    [
        ("fax", {}, "unknown channel 'fax'"),
        ("email", {"errors": {"404": 0.5}}, "not a 5xx status"),
        ("email", {"errors": {"503": 0.6}, "rate_limit": 0.5}, "add up to 1.1"),
        ("sms", {"rate_limit": 2}, "not a fraction"),
        ("sms", {"latency": 10}, "unknown fields ['latency']"),
        ("push", {"latency_ms": -1}, "below 0"),
        ("push", [], "a JSON object"),
    ],
)
def test_a_wrong_profile_is_refused_with_the_reason(
    sandbox: SandboxHandle, channel: str, profile: Any, problem: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        sandbox.set_faults(channel, profile)
    assert sandbox.faults() == {}


def test_profiles_from_the_environment_survive_the_trip_to_the_sandbox_process() -> None:
    # `aftercart up` hands settings to the sandbox process as environment variables, where
    # nested numbers arrive as text.
    faults = {"email": {"errors": {"503": 0.05}, "rate_limit": 0.01, "seed": 3}}
    env = settings_env(Settings(sandbox_faults=faults))

    profiles = Faults.from_json(json.loads(env["AFTERCART_SANDBOX_FAULTS"])).profiles()

    assert profiles == {"email": ChannelProfile.from_json(faults["email"])}
    assert profiles["email"].errors == {503: 0.05} and profiles["email"].seed == 3
