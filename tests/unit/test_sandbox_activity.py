"""SendGrid's Email Activity (GET /v3/messages) in the sandbox, asked the way the email worker asks
it after a crash: is the mail with this notification id already accepted?"""

from __future__ import annotations

import asyncio
import json
import re
import smtplib
import socket
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from openapi_core.testing import MockRequest, MockResponse
from sandbox_http import call, document
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Mail

from sandbox.activity import find
from sandbox.activity_query import parse
from sandbox.outbox import Outbox
from sandbox.smtp import NOTIFICATION_HEADER, start_smtp_server
from sandbox.testing import SandboxHandle

KEY = "SG.test-key"


def by_notification(notification_id: str) -> str:
    return f"unique_args['notification_id']=\"{notification_id}\""


def send(
    sandbox: SandboxHandle,
    notification_id: str,
    to: str = "jane@example.com",
    subject: str = "Your order shipped",
) -> str:
    """mail/send through the SendGrid SDK; the X-Message-Id it answered."""
    mail = Mail(("orders@shop.example", "Shop"), to, subject, plain_text_content="On its way.")
    mail.custom_arg = CustomArg("notification_id", notification_id, p=0)
    response = SendGridAPIClient(KEY, host=sandbox.base_url).send(mail)
    assert response.status_code == 202
    return str(response.headers["X-Message-Id"])


def activity(
    sandbox: SandboxHandle, params: dict[str, str], key: str | None = KEY
) -> tuple[int, Any]:
    """GET /v3/messages?params: the status and decoded body."""
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    url = f"{sandbox.base_url}/v3/messages?{urlencode(params)}"
    return call(urllib.request.Request(url, headers=headers))


async def test_the_worker_finds_an_accepted_mail_by_notification_id(sandbox: SandboxHandle) -> None:
    message_id = send(sandbox, "n-1")
    send(sandbox, "n-2", to="bob@example.com")

    # The worker's own request: aiohttp, the query and limit as parameters, the API key.
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{sandbox.base_url}/v3/messages",
            params={"query": by_notification("n-1"), "limit": "10"},
            headers={"Authorization": f"Bearer {KEY}", "Accept": "application/json"},
        ) as resp,
    ):
        assert resp.status == 200
        assert resp.content_type == "application/json"
        raw = await resp.read()

    [found] = json.loads(raw)["messages"]
    assert found == {
        "from_email": "orders@shop.example",
        "msg_id": message_id,
        "subject": "Your order shipped",
        "to_email": "jane@example.com",
        "status": "processed",
        "opens_count": 0,
        "clicks_count": 0,
        "last_event_time": found["last_event_time"],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", found["last_event_time"])
    request = MockRequest("http://api.sendgrid.com", "get", "/v3/messages")
    response = MockResponse(raw, status_code=200, content_type="application/json")
    document("sendgrid_v3.json").validate_response(request, response)  # raises on a mismatch


def test_the_sdk_client_finds_nothing_for_another_notification_id(sandbox: SandboxHandle) -> None:
    send(sandbox, "n-1")

    response = SendGridAPIClient(KEY, host=sandbox.base_url).client.messages.get(
        query_params={"query": by_notification("n-3"), "limit": 10}
    )

    assert response.status_code == 200
    assert json.loads(response.body) == {"messages": []}


def test_limit_keeps_the_newest(sandbox: SandboxHandle) -> None:
    ids = [send(sandbox, f"n-{i}", subject="Restocked") for i in range(4)]

    status, body = activity(sandbox, {"query": 'subject="Restocked"', "limit": "2"})
    assert status == 200
    assert [m["msg_id"] for m in body["messages"]] == [ids[3], ids[2]]

    status, body = activity(sandbox, {"query": 'subject="Restocked"'})  # 10 by default
    assert [m["msg_id"] for m in body["messages"]] == ids[::-1]


@pytest.mark.parametrize(
    ("query", "hits"),
    [
        ('to_email="jane@example.com" AND subject="Your order shipped"', 1),
        ('(to_email="JANE@example.com") and (from_email="orders@shop.example")', 1),
        ('((unique_args[\'notification_id\']="n-1") AND status="processed")', 1),
        ('to_email="jane@example.com" AND status="delivered"', 0),
        ('to_email="jane@example.com" AND subject="Another"', 0),
        ("unique_args['campaign']=\"n-1\"", 0),
    ],
)
def test_clauses_join_with_and(sandbox: SandboxHandle, query: str, hits: int) -> None:
    send(sandbox, "n-1")
    send(sandbox, "n-2", to="bob@example.com")

    status, body = activity(sandbox, {"query": query})

    assert (status, len(body["messages"])) == (200, hits)


def test_msg_id_is_the_x_message_id(sandbox: SandboxHandle) -> None:
    message_id = send(sandbox, "n-1")
    send(sandbox, "n-2")

    status, body = activity(sandbox, {"query": f'msg_id="{message_id}"'})

    assert status == 200
    assert [m["msg_id"] for m in body["messages"]] == [message_id]


def test_quotes_in_a_value_are_escaped(sandbox: SandboxHandle) -> None:
    send(sandbox, 'n-"quoted"\\1')

    status, body = activity(sandbox, {"query": by_notification('n-\\"quoted\\"\\\\1')})

    assert (status, len(body["messages"])) == (200, 1)


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ('bad_field="x"', "'bad_field' is not a known field"),
        ('categories="x"', "does not filter on 'categories'"),
        ('to_email="a@example.com" OR to_email="b@example.com"', "does not support OR"),
        ('to_email!="a@example.com"', "compares with = only"),
        ("to_email=a@example.com", "a value in double quotes"),
        ('to_email="a@example.com', "no closing double quote"),
        ('(to_email="a@example.com"', "')' or AND"),
        ('to_email="a@example.com" AND', "the query ends"),
        ('unique_args[notification_id]="n-1"', "unique_args['NAME']"),
        ('status="bounced"', "status is one of processed, delivered, not_delivered"),
        ("   ", "the query is empty"),
    ],
)
def test_a_query_the_sandbox_cannot_read_is_a_400_that_says_why(
    sandbox: SandboxHandle, query: str, says: str
) -> None:
    status, body = activity(sandbox, {"query": query})

    assert status == 400
    [error] = body["errors"]
    assert error["field"] == "query"
    assert says in error["message"]


@pytest.mark.parametrize(
    ("params", "field", "says"),
    [
        ({}, "query", "required parameter is missing"),
        ({"query": ""}, "query", "empty value is not allowed"),
        ({"query": 'subject="x"', "limit": "0"}, "limit", "less than the minimum of 1"),
        ({"query": 'subject="x"', "limit": "1001"}, "limit", "greater than the maximum of 1000"),
        ({"query": 'subject="x"', "limit": "ten"}, "limit", "is not a valid number"),
        ({"query": 'subject="x"', "limit": "2.5"}, "limit", "whole number"),
    ],
)
def test_parameters_outside_the_document_are_a_400(
    sandbox: SandboxHandle, params: dict[str, str], field: str, says: str
) -> None:
    status, body = activity(sandbox, params)

    assert status == 400
    assert body["errors"][0]["field"] == field
    assert says in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "authorization required"),
        ("None", "The provided authorization grant is invalid, expired, or revoked"),
        ("not-a-sendgrid-key", "The provided authorization grant is invalid, expired, or revoked"),
    ],
)
def test_a_bad_key_gets_what_mail_send_gives_it(
    sandbox: SandboxHandle, key: str | None, message: str
) -> None:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    req = urllib.request.Request(f"{sandbox.base_url}/v3/mail/send", b"{}", headers, method="POST")
    with pytest.raises(urllib.error.HTTPError) as sending:
        urllib.request.urlopen(req)
    before = sandbox.stats()["total"]

    status, body = activity(sandbox, {"query": by_notification("n-1")}, key=key)

    assert (status, body) == (401, json.loads(sending.value.read()))
    assert body == {"errors": [{"message": message, "field": None, "help": None}]}
    assert sandbox.stats()["total"] == before  # a lookup is not a message


def test_lookups_are_never_faulted(sandbox: SandboxHandle) -> None:
    message_id = send(sandbox, "n-1")
    sandbox.set_faults("email", {"errors": {"503": 0.5}, "rate_limit": 0.5, "latency_ms": 2000})
    try:
        status, body = activity(sandbox, {"query": by_notification("n-1")})
    finally:
        sandbox.clear_faults()

    assert status == 200
    assert [m["msg_id"] for m in body["messages"]] == [message_id]
    assert sandbox.stats()["channels"]["email"]["faulted"] == 0


async def test_mail_the_smtp_server_took_is_not_sendgrids() -> None:
    outbox = Outbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = await start_smtp_server(outbox, "127.0.0.1", port)
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "orders@shop.example", "jane@example.com", "Hi"
    mail[NOTIFICATION_HEADER] = "n-1"
    mail.set_content("On its way.")

    def deliver() -> None:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.send_message(mail)

    try:
        await asyncio.to_thread(deliver)
    finally:
        server.close()

    [entry] = outbox.messages(channel="email", status="accepted")
    assert entry.notification_id == "n-1"
    assert find(outbox, parse(by_notification("n-1")), 10) == []
    assert find(outbox, parse('to_email="jane@example.com"'), 10) == []
