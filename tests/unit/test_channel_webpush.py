"""Web push: encryption, the push service's answers, and a payload too large shortened once."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import given
from hypothesis import strategies as st
from pushing import Browser, claims
from py_vapid import Vapid
from yarl import URL

from channels.errors import (
    ConfigurationError,
    PayloadTooLarge,
    PermanentError,
    RetriableError,
    SubscriptionGone,
)
from channels.messages import PushMessage
from channels.render import MAX_PUSH_PAYLOAD
from channels.webpush import SHORT_PUSH_BODY, WebPush, shrunk_payload
from runtime.settings import Settings
from schemas.common import PushKeys, PushSubscription


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
    assert claims(headers["Authorization"])["aud"] == origin
    assert headers["Topic"] == message.topic  # a second send of it replaces the first


async def test_every_push_of_a_notification_carries_the_same_topic(
    push_service: tuple[FakePushService, str],
) -> None:
    # given one notification sent twice (a crash lost the first answer) and another one
    fake, origin = push_service
    browser = Browser()
    sender = WebPush(via(origin))
    nid = "0b6f7a52-6c1e-5b8e-9f3a-2d4c1e8b7a90"
    first = PushMessage(nid, browser.subscription(origin + "/push/1"), b'{"title":"hi"}', 600)
    other = PushMessage(nid[:-1] + "1", first.subscription, b'{"title":"hi"}', 600)
    # when
    for message in (first, first, other):
        await sender.send(message)
    await sender.close()
    # then both sends of the first share one RFC 8030 topic, and the other has its own
    topics = [headers["Topic"] for headers, _ in fake.received]
    assert topics[0] == topics[1] != topics[2]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,32}", t) for t in topics)


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
