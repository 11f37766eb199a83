"""The real SendGrid SDK against the sandbox's mail/send."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from python_http_client.exceptions import BadRequestsError, UnauthorizedError
from sandbox_http import call
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Mail, Personalization, To

from sandbox.testing import SandboxHandle


def client(sandbox: SandboxHandle, key: str = "SG.test-key") -> SendGridAPIClient:
    return SendGridAPIClient(key, host=sandbox.base_url)


def order_mail(notification_id: str, to: str = "jane@example.com") -> Mail:
    mail = Mail(
        from_email=("orders@shop.example", "Shop"),
        to_emails=to,
        subject="Your order shipped",
        plain_text_content="It is on its way.",
        html_content="<p>It is on its way.</p>",
    )
    mail.custom_arg = CustomArg("notification_id", notification_id, p=0)
    return mail


def raw_post(sandbox: SandboxHandle, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    req = urllib.request.Request(f"{sandbox.base_url}/v3/mail/send", body, headers, method="POST")
    return call(req)


def test_sdk_send_is_accepted_and_recorded(sandbox: SandboxHandle) -> None:
    response = client(sandbox).send(order_mail("n-1"))

    assert response.status_code == 202
    assert response.body == b""
    message_id = response.headers["X-Message-Id"]
    [entry] = sandbox.messages(channel="email")
    assert entry["status"] == "accepted"
    assert entry["recipient"] == "jane@example.com"
    assert entry["subject"] == "Your order shipped"
    assert entry["text"] == "It is on its way."  # text/plain wins over html
    assert entry["notification_id"] == "n-1"
    assert entry["provider_id"] == message_id
    assert entry["received_at"].endswith("+00:00") and entry["received_at_ms"] > 0


def test_top_level_custom_args_and_html_only(sandbox: SandboxHandle) -> None:
    mail = Mail("orders@shop.example", "bob@example.com", "Hello", html_content="<p>Hi</p>")
    mail.custom_arg = CustomArg("notification_id", "n-top")  # no p: top level

    assert client(sandbox).send(mail).status_code == 202
    [entry] = sandbox.messages(channel="email")
    assert (entry["notification_id"], entry["text"]) == ("n-top", "<p>Hi</p>")


def test_each_personalization_is_one_email(sandbox: SandboxHandle) -> None:
    mail = Mail("orders@shop.example", subject="Shipped", plain_text_content="Shipped.")
    for i in range(3):
        personalization = Personalization()
        personalization.add_to(To(f"c{i}@example.com"))
        personalization.add_custom_arg(CustomArg("notification_id", f"n-{i}"))
        mail.add_personalization(personalization)

    assert client(sandbox).send(mail).status_code == 202
    entries = sandbox.messages(channel="email")
    assert sorted((e["recipient"], e["notification_id"]) for e in entries) == [
        (f"c{i}@example.com", f"n-{i}") for i in range(3)
    ]
    assert len({e["provider_id"] for e in entries}) == 1  # one X-Message-Id per request


def test_contract_violation_is_a_400_the_sdk_raises(sandbox: SandboxHandle) -> None:
    body = order_mail("n-2").get()
    del body["from"]

    with pytest.raises(BadRequestsError) as raised:
        client(sandbox).client.mail.send.post(request_body=body)

    assert raised.value.status_code == 400
    assert raised.value.to_dict == {
        "errors": [{"message": "'from' is a required property", "field": "from", "help": None}]
    }
    [entry] = sandbox.messages(channel="email")
    assert entry["status"] == "rejected"
    assert (entry["recipient"], entry["notification_id"]) == ("jane@example.com", "n-2")
    assert "from" in entry["error"]


def test_non_string_custom_args_are_refused_like_the_live_api(sandbox: SandboxHandle) -> None:
    body = order_mail("n-3").get()
    body["personalizations"][0]["custom_args"]["order"] = 1234

    with pytest.raises(BadRequestsError):
        client(sandbox).client.mail.send.post(request_body=body)


def test_missing_authorization_is_401(sandbox: SandboxHandle) -> None:
    body = json.dumps(order_mail("n-4").get()).encode()
    status, error = raw_post(sandbox, body, {"Content-Type": "application/json"})

    assert status == 401
    assert error == {"errors": [{"message": "authorization required", "field": None, "help": None}]}
    [entry] = sandbox.messages(channel="email", status="rejected")
    assert entry["error"] == "401 authorization required"


@pytest.mark.parametrize("key", ["", "not-a-sendgrid-key"])
def test_missing_or_malformed_key_is_401_through_the_sdk(sandbox: SandboxHandle, key: str) -> None:
    # With no key the SDK falls back to $SENDGRID_API_KEY and, failing that, sends "Bearer None".
    with pytest.raises(UnauthorizedError) as raised:
        client(sandbox, key=key).send(order_mail("n-5"))
    assert raised.value.to_dict["errors"][0]["message"].startswith("The provided authorization")


def test_empty_body_is_400(sandbox: SandboxHandle) -> None:
    status, error = raw_post(sandbox, b"", {"Authorization": "Bearer SG.k"})
    assert status == 400
    assert error["errors"][0]["message"] == "Bad Request"
