"""Web push: the endpoint allowlist, VAPID tokens, encryption and the push service's answers."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import http_ece
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st
from py_vapid import Vapid
from pydantic import SecretStr
from yarl import URL

from aftercart.cli import main
from channels.errors import (
    ConfigurationError,
    DisallowedEndpoint,
    PayloadTooLarge,
    PermanentError,
    RetriableError,
    SubscriptionGone,
)
from channels.messages import PushMessage
from channels.render import MAX_PUSH_PAYLOAD
from channels.webpush import (
    SHORT_PUSH_BODY,
    VapidTokens,
    WebPush,
    check_endpoint,
    load_vapid,
    shrunk_payload,
)
from runtime.settings import DEFAULT_PUSH_ORIGINS, Settings
from schemas.common import PushKeys, PushSubscription

SANDBOX = "http://127.0.0.1:8787"


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc:def",
        "https://FCM.googleapis.com:443/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAA",
        "https://web.push.apple.com/QGx1b2",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
    ],
)
def test_known_push_services_are_allowed(endpoint: str) -> None:
    assert check_endpoint(endpoint, DEFAULT_PUSH_ORIGINS).scheme == "https"


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/abc",  # not https
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://localhost/push",
        "https://127.0.0.1/push",
        "https://[::1]/push",
        "https://fcm.googleapis.com:8443/fcm/send/abc",  # a port the origin does not list
        "https://user:pw@fcm.googleapis.com/fcm/send/abc",  # userinfo
        "https://fcm.googleapis.com@169.254.169.254/",  # userinfo hiding the real host
        "https://fcm.googleapis.com@evil.example/",
        "https://fcm.googleapis.com:443@evil.example/",
        "https://evil.example%23@fcm.googleapis.com/",
        "https://fcm.googleapis.com%40evil.example/",
        "https://*.notify.windows.com/w/",  # the wildcard itself is no host
        "https://%2A.notify.windows.com/w/",
        "https://[::ffff:169.254.169.254]/",  # IP literals in other spellings
        "https://2852039166/",
        "https://0xa9fea9fe/",
        "https://x.notify.windows.com:8443/w/",
        "http://x.notify.windows.com/w/",
        "wss://fcm.googleapis.com/fcm/send/abc",
        "//fcm.googleapis.com/fcm/send/abc",
        "https:fcm.googleapis.com/fcm/send/abc",
        "https://fcm.googleapis.com.evil.example/x",
        "https://evil.example/fcm.googleapis.com",
        "https://notify.windows.com/w/",  # the wildcard needs a subdomain
        "https://a.b.notify.windows.com/w/",  # ... of exactly one label
        "https://evil.example\\@fcm.googleapis.com/",
        "https://fcm.googleapis.com/\r\nX: y",
        "https://fcm.googleapis.com./fcm/send/abc",
        "file:///etc/passwd",
        "/push/relative",
        "not a url",
        SANDBOX + "/push/1",  # the sandbox only when it is configured
    ],
)
def test_everything_else_is_refused(endpoint: str) -> None:
    with pytest.raises(DisallowedEndpoint):
        check_endpoint(endpoint, DEFAULT_PUSH_ORIGINS)


def test_sandbox_is_allowed_only_when_enabled() -> None:
    enabled = Settings(sandbox_port=8787, push_allow_sandbox=True).push_origins
    disabled = Settings(sandbox_port=8787).push_origins
    assert check_endpoint(SANDBOX + "/push/1", enabled).port == 8787
    with pytest.raises(DisallowedEndpoint):
        check_endpoint(SANDBOX + "/push/1", disabled)
    with pytest.raises(DisallowedEndpoint):  # same host, other port
        check_endpoint("http://127.0.0.1:8788/push/1", enabled)


@pytest.mark.parametrize(
    "entry",
    [
        "http://push.internal",
        "http://fcm.googleapis.com",
        "https://10.0.0.1",
        "https://[::1]",
        "https://user@push.example",
        "ftp://push.example",
    ],
)
def test_only_https_push_services_may_be_configured(entry: str) -> None:
    # the sandbox is the one plain-http origin, and only through push_allow_sandbox
    with pytest.raises(ConfigurationError):
        WebPush(Settings(push_allowed_origins=(entry,)))


def test_vapid_token_is_reused_per_origin_until_near_expiry() -> None:
    # given a signer on a fake clock that counts signatures
    now = [1_000_000.0]
    vapid = Vapid()
    vapid.generate_keys()
    tokens = VapidTokens(vapid, "mailto:ops@shop.example", clock=lambda: now[0])
    # when / then
    first = tokens.authorization("https://fcm.googleapis.com")
    assert tokens.authorization("https://fcm.googleapis.com") == first
    assert tokens.authorization("https://web.push.apple.com") != first
    now[0] += 10.5 * 3600  # still 1.5 h left
    assert tokens.authorization("https://fcm.googleapis.com") == first
    now[0] += 1 * 3600  # 30 min left: renew
    renewed = tokens.authorization("https://fcm.googleapis.com")
    assert renewed != first
    assert Vapid.verify(renewed)
    claims = _claims(renewed)
    assert claims["aud"] == "https://fcm.googleapis.com"
    assert claims["exp"] == int(now[0]) + 12 * 3600


def test_configured_vapid_key_is_used_and_bad_keys_fail_at_start() -> None:
    vapid = Vapid()
    vapid.generate_keys()
    pem = vapid.private_pem().decode()
    sender = WebPush(Settings(vapid_private_key=SecretStr(pem)))
    assert sender.application_server_key == _public_key(vapid)
    with pytest.raises(ConfigurationError) as caught:
        WebPush(Settings(vapid_private_key=SecretStr("not-a-key")))
    assert "not-a-key" not in str(caught.value)
    with pytest.raises(ConfigurationError):
        WebPush(Settings(vapid_subject="ops"))


def test_without_a_key_an_ephemeral_one_is_made_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("WARNING", logger="channels.webpush"):
        first, second = WebPush(Settings()), WebPush(Settings())
    assert first.application_server_key != second.application_server_key
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and "ephemeral" in messages[0]
    assert first.application_server_key not in messages[0]


def test_vapid_keys_command_prints_a_pair_the_settings_accept(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the printed pair
    assert main(["vapid-keys"]) == 0
    assignment, comment = capsys.readouterr().out.splitlines()
    name, private = assignment.split("=", 1)
    public = comment.rsplit(" ", 1)[1]
    # when the private key is configured as printed
    monkeypatch.setenv(name, private)
    settings = Settings()
    # then the sender signs with it, and browsers subscribe with the printed public key
    assert WebPush(settings).application_server_key == public
    signed = load_vapid(settings).sign({"aud": "https://fcm.googleapis.com", "sub": "mailto:a@b.c"})
    assert Vapid.verify(signed["Authorization"])
    assert _public_key(Vapid.from_raw_public(public.encode())) == public
    assert main(["vapid-keys"]) == 0
    assert capsys.readouterr().out.split("\n")[0] != assignment  # a new pair each time


@dataclass
class Browser:
    """A subscriber's key pair: what a browser holds to decrypt its pushes."""

    private: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, endpoint: str) -> PushSubscription:
        public = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        keys = PushKeys(p256dh=_b64(public), auth=_b64(self.auth))
        return PushSubscription(endpoint=endpoint, keys=keys)

    def decrypt(self, body: bytes) -> bytes:
        plain: bytes = http_ece.decrypt(
            body, private_key=self.private, auth_secret=self.auth, version="aes128gcm"
        )
        return plain


@dataclass
class FakePushService:
    status: int = 201
    headers: dict[str, str] = field(default_factory=dict)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    first: list[int] = field(default_factory=list)  # statuses answered before `status`

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        status = self.first.pop(0) if self.first else self.status
        return web.Response(status=status, headers=self.headers)


def via(origin: str) -> Settings:
    """Settings whose sandbox is the fake push service: the one plain-http origin allowed."""
    url = URL(origin)
    return Settings(
        sandbox_host=url.host or "", sandbox_port=url.port or 0, push_allow_sandbox=True
    )


# The server runs on the test's own loop (pyproject puts fixtures on the session loop).
@pytest_asyncio.fixture(loop_scope="function")
async def push_service() -> AsyncIterator[tuple[FakePushService, str]]:
    fake = FakePushService()
    app = web.Application()
    app.router.add_post("/push/{id}", fake.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await server.close()


async def test_push_is_encrypted_signed_and_kept_for_its_ttl(
    push_service: tuple[FakePushService, str],
) -> None:
    # given a browser subscribed at an allowed push service
    fake, origin = push_service
    fake.headers = {"Location": origin + "/messages/m-1"}
    browser = Browser()
    sender = WebPush(via(origin))
    message = PushMessage("n-9", browser.subscription(origin + "/push/1"), b'{"title":"hi"}', 600)
    # when
    receipt = await sender.send(message)
    await sender.close()
    # then
    assert receipt.provider_id == origin + "/messages/m-1"
    headers, body = fake.received[0]
    assert browser.decrypt(body) == b'{"title":"hi"}'
    assert headers["TTL"] == "600" and headers["Content-Encoding"] == "aes128gcm"
    assert Vapid.verify(headers["Authorization"])
    assert _claims(headers["Authorization"])["aud"] == origin


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (410, SubscriptionGone),
        (404, SubscriptionGone),
        (413, PermanentError),
        (429, RetriableError),
        (503, RetriableError),
        (403, ConfigurationError),
        (301, PermanentError),  # a redirect is never followed
        (302, PermanentError),
        (307, PermanentError),
        (308, PermanentError),
    ],
)
async def test_push_service_refusals(
    push_service: tuple[FakePushService, str], status: int, kind: type[Exception]
) -> None:
    fake, origin = push_service
    fake.status, fake.headers = status, {"Retry-After": "9", "Location": "http://10.0.0.1/"}
    sender = WebPush(via(origin))
    with pytest.raises(kind) as caught:
        await sender.send(PushMessage("n", Browser().subscription(origin + "/push/1"), b"{}", 60))
    await sender.close()
    assert len(fake.received) == 1
    if isinstance(caught.value, RetriableError):
        assert caught.value.retry_after == 9.0


def big_payload() -> bytes:
    payload = {
        "notification_id": "n-7",
        "title": "Your order #1001 has shipped " * 4,
        "body": "Tracking: " + "the parcel is on its way " * 80,
        "url": "https://shop.example/track?" + "x" * 1500,
        "tag": "order-1001",
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


async def test_too_large_push_goes_once_more_with_a_shorter_text(
    push_service: tuple[FakePushService, str],
) -> None:
    # given a push service that refuses the first body as too large
    fake, origin = push_service
    fake.first = [413]
    browser = Browser()
    sender = WebPush(via(origin))
    message = PushMessage("n-7", browser.subscription(origin + "/push/1"), big_payload(), 60)
    # when
    receipt = await sender.send(message)
    await sender.close()
    # then the second post carries the title and the start of the body, without the link
    assert receipt.notification_id == "n-7" and len(fake.received) == 2
    first, second = (json.loads(browser.decrypt(body)) for _, body in fake.received)
    assert first == json.loads(big_payload())
    assert second["notification_id"] == "n-7" and second["tag"] == "order-1001"
    assert second["url"] == "" and second["title"].startswith("Your order #1001")
    assert second["body"].startswith("Tracking: the parcel") and second["body"].endswith("…")
    assert len(second["body"]) == SHORT_PUSH_BODY
    assert fake.received[0][1][:16] != fake.received[1][1][:16]  # encrypted afresh


async def test_too_large_even_when_shortened_is_dropped_with_the_reason(
    push_service: tuple[FakePushService, str],
) -> None:
    fake, origin = push_service
    fake.status = 413
    sender = WebPush(via(origin))
    message = PushMessage("n-7", Browser().subscription(origin + "/push/1"), big_payload(), 60)
    with pytest.raises(PayloadTooLarge) as caught:
        await sender.send(message)
    await sender.close()
    assert len(fake.received) == 2  # shortened once, never retried beyond that
    assert f"{len(big_payload())}-byte payload refused, also shortened to" in str(caught.value)
    assert caught.value.provider_code == "413"


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=1200)


@given(title=_TEXT, body=_TEXT, url=st.text(max_size=2048))
def test_a_shortened_payload_is_smaller_and_keeps_the_start_of_the_text(
    title: str, body: str, url: str
) -> None:
    payload = json.dumps(
        {"notification_id": "n", "title": title, "body": body, "url": url, "tag": "t"},
        ensure_ascii=False,
    ).encode()
    shorter = shrunk_payload(payload)
    if shorter is None:  # nothing to cut: the push is dropped with the reason instead
        return
    assert len(shorter) < len(payload) and len(shorter) <= MAX_PUSH_PAYLOAD
    short = json.loads(shorter)
    assert title.startswith(short["title"].removesuffix("…").rstrip())
    assert body.startswith(short["body"].removesuffix("…").rstrip())


@pytest.mark.parametrize("payload", [b"{}", b"not json", b"[1]", b'{"title":"hi","body":"yo"}'])
def test_a_payload_that_cannot_shrink_gives_none(payload: bytes) -> None:
    assert shrunk_payload(payload) is None


async def test_disallowed_endpoint_is_refused_before_any_connection() -> None:
    sender = WebPush(Settings())
    message = PushMessage("n", Browser().subscription("https://169.254.169.254/x"), b"{}", 60)
    with pytest.raises(DisallowedEndpoint):
        await sender.send(message)
    assert sender._session is None  # no session was ever opened
    await sender.close()


async def test_unusable_subscription_keys_are_permanent() -> None:
    sub = PushSubscription(
        endpoint="https://fcm.googleapis.com/x", keys=PushKeys(p256dh="AAAA", auth="AAAA")
    )
    with pytest.raises(PermanentError):
        await WebPush(Settings()).send(PushMessage("n", sub, b"{}", 60))


async def test_pushes_to_one_browser_each_get_a_fresh_key_and_salt(
    push_service: tuple[FakePushService, str],
) -> None:
    # given one browser that receives three pushes (its parsed keys are reused)
    fake, origin = push_service
    browser = Browser()
    sender = WebPush(via(origin))
    subscription = browser.subscription(origin + "/push/1")
    # when
    for n in range(3):
        await sender.send(PushMessage(f"n-{n}", subscription, f'{{"n":{n}}}'.encode(), 60))
    await sender.close()
    # then every body decrypts, and none shares a salt or sender key with another
    bodies = [body for _, body in fake.received]
    assert [browser.decrypt(b) for b in bodies] == [b'{"n":0}', b'{"n":1}', b'{"n":2}']
    assert len({b[:16] for b in bodies}) == 3  # salt
    assert len({b[21:86] for b in bodies}) == 3  # ephemeral ECDH public key


async def test_unusable_keys_stay_permanent_on_every_attempt() -> None:
    sub = PushSubscription(
        endpoint="https://fcm.googleapis.com/x", keys=PushKeys(p256dh="AAAA", auth="AAAA")
    )
    sender = WebPush(Settings())
    for _ in range(2):
        with pytest.raises(PermanentError):
            await sender.send(PushMessage("n", sub, b"{}", 60))


def test_a_zero_ttl_is_refused() -> None:
    with pytest.raises(ValueError):
        PushMessage("n", Browser().subscription("https://fcm.googleapis.com/x"), b"{}", 0)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _public_key(vapid: Vapid) -> str:
    return _b64(
        vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def _claims(authorization: str) -> dict[str, Any]:
    token = authorization.split("t=", 1)[1].split(",", 1)[0]
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded
