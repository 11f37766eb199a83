"""The outbox and the sandbox's own routes."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest
from sandbox_http import exchange
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Mail
from twilio.rest import Client

from sandbox.outbox import Outbox
from sandbox.testing import SandboxHandle


def test_seq_keeps_increasing_across_clears() -> None:
    outbox = Outbox()
    outbox.record("email", "accepted")
    outbox.clear()
    entry = outbox.record("sms", "rejected", error="400")

    assert entry.seq == 2
    assert [e.seq for e in outbox.messages()] == [2]
    assert outbox.stats()["channels"]["sms"] == {"accepted": 0, "rejected": 1, "faulted": 0}


def test_since_channel_status_and_limit() -> None:
    outbox = Outbox()
    for i in range(6):
        outbox.record("email" if i % 2 else "push", "accepted" if i < 4 else "rejected")

    assert [e.seq for e in outbox.messages(since=3)] == [4, 5, 6]
    assert [e.seq for e in outbox.messages(channel="email")] == [2, 4, 6]
    assert [e.seq for e in outbox.messages(status="rejected", channel="push")] == [5]
    assert [e.seq for e in outbox.messages(limit=2)] == [1, 2]


def test_oldest_entries_are_dropped_past_the_limit() -> None:
    outbox = Outbox(limit=4)
    for _ in range(6):
        outbox.record("sms", "accepted")

    assert [e.seq for e in outbox.messages()] == [3, 4, 5, 6]
    assert [e.seq for e in outbox.messages(since=4)] == [5, 6]
    stats = outbox.stats()
    assert (stats["total"], stats["held"], stats["dropped"], stats["last_seq"]) == (6, 4, 2, 6)


def test_entry_times_are_utc_with_microseconds() -> None:
    entry = Outbox().record("push", "accepted").to_dict()
    assert entry["received_at"].endswith("+00:00")
    assert len(entry["received_at"].split(".")[1]) == len("123456+00:00")


def test_routes_over_http(sandbox: SandboxHandle) -> None:
    SendGridAPIClient("SG.k", host=sandbox.base_url).send(
        Mail("a@shop.example", "b@example.com", "Hi", plain_text_content="Hi")
    )
    twilio = Client("AC" + "0" * 32, "token")
    twilio.api.base_url = sandbox.base_url
    twilio.messages.create(to="+15551234567", from_="+15005550006", body="Hi")

    assert sandbox.request("GET", "/healthz") == {"status": "ok"}
    first = sandbox.messages()[0]["seq"]
    assert sandbox.last_seq() == first + 1
    assert [e["channel"] for e in sandbox.messages(since=first)] == ["sms"]
    stats = sandbox.stats()
    assert stats["channels"]["email"]["accepted"] == 1
    assert stats["channels"]["sms"]["accepted"] == 1
    assert stats["last_seq"] == first + 1
    timings = sandbox.request("GET", "/contracts/stats")
    assert timings["sendgrid POST /mail/send"]["count"] >= 1

    sandbox.clear()
    assert sandbox.messages() == []
    assert sandbox.stats()["total"] == 0


def test_the_client_selects_over_http_as_the_outbox_does(sandbox: SandboxHandle) -> None:
    # given an accepted email, a push to a gone subscriber, an email without a key, an SMS
    SendGridAPIClient("SG.k", host=sandbox.base_url).send(
        Mail("a@shop.example", "b@example.com", "Hi", plain_text_content="Hi")
    )
    send = urllib.request.Request(f"{sandbox.base_url}/push/gone", b"", {"TTL": "60"})
    assert exchange(send)[0] == 410
    send = urllib.request.Request(f"{sandbox.base_url}/v3/mail/send", b"{}", method="POST")
    assert exchange(send)[0] == 401
    twilio = Client("AC" + "0" * 32, "token")
    twilio.api.base_url = sandbox.base_url
    twilio.messages.create(to="+15551234567", from_="+15005550006", body="Hi")
    first = sandbox.messages()[0]["seq"]

    def picked(**selection: Any) -> list[int]:
        return [entry["seq"] - first for entry in sandbox.messages(**selection)]

    # then each part of the selection picks over HTTP what it picks in the outbox itself
    assert picked() == [0, 1, 2, 3]
    assert picked(since=first + 1) == [2, 3]
    assert picked(channel="email") == [0, 2]
    assert picked(status="rejected") == [1, 2]
    assert picked(channel="email", status="rejected", since=first) == [2]
    assert picked(limit=3, since=first) == [1, 2, 3]
    assert sandbox.wait_for(1, channel="sms", fields=["channel"]) == [{"channel": "sms"}]


def test_fields_serves_only_what_was_asked(sandbox: SandboxHandle) -> None:
    sandbox.clear()
    twilio = Client("AC" + "0" * 32, "token")
    twilio.api.base_url = sandbox.base_url
    twilio.messages.create(to="+15551234567", from_="+15005550006", body="Hi")

    [entry] = sandbox.messages(fields=("seq", "received_at_ms", "received_at"))
    assert sorted(entry) == ["received_at", "received_at_ms", "seq"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        sandbox.messages(fields=("seq", "body"))
    assert refused.value.code == 400
    assert "unknown fields ['body']" in refused.value.read().decode()


def test_wait_for_gives_up_with_a_count(sandbox: SandboxHandle) -> None:
    with pytest.raises(TimeoutError, match="0 of 1"):
        sandbox.wait_for(1, timeout=0.1, channel="sms")
