"""pywebpush against the sandbox playing both the push service and the browser."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from pywebpush import WebPusher, WebPushException, webpush

from sandbox.push_browser import (
    VapidRejected,
    VapidVerifier,
    b64url_decode,
    b64url_encode,
)
from sandbox.testing import SandboxHandle

CLAIMS = {"sub": "mailto:ops@shop.example"}
PAYLOAD = {"notification_id": "n-1", "title": "Shipped", "body": "Order #1 is on its way."}


@pytest.fixture(scope="module")
def vapid() -> Vapid:
    key = Vapid()
    key.generate_keys()
    return key


def public_key(key: Vapid) -> str:
    raw = key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url_encode(raw)


def send(subscription: dict[str, Any], vapid: Vapid, data: str = json.dumps(PAYLOAD)) -> int:
    response = webpush(
        subscription, data=data, vapid_private_key=vapid, vapid_claims=dict(CLAIMS), ttl=60
    )
    return int(response.status_code)


def send_with_headers(subscription: dict[str, Any], headers: dict[str, str], ttl: int = 60) -> Any:
    return WebPusher(subscription).send(data=json.dumps(PAYLOAD), headers=headers, ttl=ttl)


def test_subscriber_is_a_standard_push_subscription(sandbox: SandboxHandle) -> None:
    subscription = sandbox.new_push_subscription("jane-laptop")

    assert subscription["endpoint"].startswith(f"{sandbox.base_url}/push/")
    assert subscription["expirationTime"] is None
    assert len(b64url_decode(subscription["keys"]["p256dh"])) == 65  # uncompressed P-256 point
    assert len(b64url_decode(subscription["keys"]["auth"])) == 16


def test_webpush_is_decrypted_and_recorded(sandbox: SandboxHandle, vapid: Vapid) -> None:
    subscription = sandbox.new_push_subscription("jane-laptop")

    assert send(subscription, vapid) == 201
    [entry] = sandbox.messages(channel="push")
    assert entry["status"] == "accepted"
    assert entry["recipient"] == subscription["endpoint"].rsplit("/", 1)[1]
    assert entry["label"] == "jane-laptop"
    assert entry["payload"] == PAYLOAD
    assert (entry["notification_id"], entry["subject"], entry["text"]) == (
        "n-1",
        "Shipped",
        "Order #1 is on its way.",
    )


def test_signature_from_another_key_is_401(sandbox: SandboxHandle, vapid: Vapid) -> None:
    subscription = sandbox.new_push_subscription()
    other = Vapid()
    other.generate_keys()
    claims = {**CLAIMS, "aud": sandbox.base_url, "exp": int(time.time()) + 600}
    token = vapid.sign(claims)["Authorization"].split("t=")[1].split(",")[0]
    forged = {"Authorization": f"vapid t={token},k={public_key(other)}"}

    assert send_with_headers(subscription, forged).status_code == 401
    [entry] = sandbox.messages(channel="push")
    assert entry["status"] == "rejected" and "signature" in entry["error"]


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://fcm.googleapis.com"},  # signed for another push service
        {"exp": int(time.time()) - 10},  # expired
        {"exp": int(time.time()) + 25 * 3600},  # beyond 24 h
        {"sub": "ops@shop.example"},  # not a mailto: or https: contact
    ],
)
def test_invalid_claims_are_401(
    sandbox: SandboxHandle, vapid: Vapid, claims: dict[str, Any]
) -> None:
    subscription = sandbox.new_push_subscription()
    full = {**CLAIMS, "aud": sandbox.base_url, "exp": int(time.time()) + 600, **claims}
    lenient = Vapid(private_key=vapid.private_key, conf={"no-strict": True})  # signs a bad sub too
    headers = lenient.sign(full)

    assert send_with_headers(subscription, headers).status_code == 401


def test_missing_vapid_is_401(sandbox: SandboxHandle) -> None:
    subscription = sandbox.new_push_subscription()
    assert send_with_headers(subscription, {}).status_code == 401


def test_unknown_and_unsubscribed_subscribers_are_gone(
    sandbox: SandboxHandle, vapid: Vapid
) -> None:
    subscription = sandbox.new_push_subscription()
    unknown = {**subscription, "endpoint": f"{sandbox.base_url}/push/{'0' * 32}"}
    with pytest.raises(WebPushException) as raised:
        send(unknown, vapid)
    assert raised.value.response is not None and raised.value.response.status_code == 410

    sandbox.unsubscribe(subscription)
    with pytest.raises(WebPushException):
        send(subscription, vapid)
    assert [e["status"] for e in sandbox.messages(channel="push")] == ["rejected", "rejected"]


def test_body_over_4096_bytes_is_413(sandbox: SandboxHandle, vapid: Vapid) -> None:
    subscription = sandbox.new_push_subscription()
    with pytest.raises(WebPushException) as raised:
        send(subscription, vapid, data="x" * 4050)  # 4050 + 103 bytes of aes128gcm overhead
    assert raised.value.response is not None and raised.value.response.status_code == 413


def test_what_the_browser_cannot_decrypt_is_201_but_rejected(
    sandbox: SandboxHandle, vapid: Vapid
) -> None:
    subscription = sandbox.new_push_subscription()
    wrong_auth = {
        **subscription,
        "keys": {**subscription["keys"], "auth": b64url_encode(b"\0" * 16)},
    }

    assert send(wrong_auth, vapid) == 201  # push services cannot tell; the browser drops it
    [entry] = sandbox.messages(channel="push")
    assert entry["status"] == "rejected" and "decrypt" in entry["error"]


def test_application_server_key_restricts_who_may_push(
    sandbox: SandboxHandle, vapid: Vapid
) -> None:
    restricted = sandbox.request(
        "POST", "/push/subscribers", {"applicationServerKey": public_key(vapid)}
    )
    other = Vapid()
    other.generate_keys()

    assert send(restricted, vapid) == 201
    with pytest.raises(WebPushException) as raised:
        send(restricted, other)
    assert raised.value.response is not None and raised.value.response.status_code == 403


def test_ttl_header_is_required(sandbox: SandboxHandle, vapid: Vapid) -> None:
    import urllib.error
    import urllib.request

    subscription = sandbox.new_push_subscription()
    headers = {**vapid.sign({**CLAIMS, "aud": sandbox.base_url}), "Content-Encoding": "aes128gcm"}
    req = urllib.request.Request(subscription["endpoint"], b"x", headers, method="POST")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(req)
    assert raised.value.code == 400
    assert json.loads(raised.value.read())["errno"] == 111


def test_verifier_checks_expiry_on_every_use_of_a_cached_token(vapid: Vapid) -> None:
    verifier = VapidVerifier(audience="http://127.0.0.1:1")
    now = time.time()
    header = vapid.sign({**CLAIMS, "aud": "http://127.0.0.1:1", "exp": int(now) + 60})[
        "Authorization"
    ]

    claims = verifier.verify(header, None, now=now)
    assert claims.subject == CLAIMS["sub"]
    assert verifier.verify(header, None, now=now + 30) == claims
    with pytest.raises(VapidRejected) as raised:
        verifier.verify(header, None, now=now + 61)
    assert raised.value.status == 401


def test_push_without_payload_is_accepted(sandbox: SandboxHandle, vapid: Vapid) -> None:
    subscription = sandbox.new_push_subscription()
    response = webpush(
        subscription, None, vapid_private_key=vapid, vapid_claims=dict(CLAIMS), ttl=5
    )

    assert response.status_code == 201
    [entry] = sandbox.messages(channel="push")
    assert (entry["status"], entry["payload"]) == ("accepted", "")


def test_the_topic_of_a_push_is_recorded(sandbox: SandboxHandle, vapid: Vapid) -> None:
    subscription = sandbox.new_push_subscription()
    headers = {**vapid.sign({**CLAIMS, "aud": sandbox.base_url}), "Topic": "C29vbWUtdG9waWM"}

    assert send_with_headers(subscription, headers).status_code == 201
    [entry] = sandbox.messages(channel="push")
    assert (entry["status"], entry["topic"]) == ("accepted", "C29vbWUtdG9waWM")


@pytest.mark.parametrize("topic", ["a" * 33, "not base64url!", "a=="])
def test_a_topic_beyond_rfc_8030_is_400(sandbox: SandboxHandle, vapid: Vapid, topic: str) -> None:
    subscription = sandbox.new_push_subscription()
    headers = {**vapid.sign({**CLAIMS, "aud": sandbox.base_url}), "Topic": topic}

    assert send_with_headers(subscription, headers).status_code == 400
    [entry] = sandbox.messages(channel="push")
    assert entry["status"] == "rejected" and "Topic" in entry["error"]
