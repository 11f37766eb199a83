"""Web push sign-up on the gateway: a shop's page signs a browser up for the customer the shop
vouched for, and nothing else gets through."""

from __future__ import annotations

import re
import textwrap
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ingesting import TOPICS, Client, FakeKafka, connect
from pushing import Browser
from pydantic import SecretStr

from aftercart.cli import main
from channels.webpush import new_vapid_keys
from ingest.accept import Intake
from ingest.dedupe import SeenEvents
from ingest.gateway import create_gateway
from runtime import push_signup
from runtime.push import BadPushSetting
from runtime.settings import Settings
from schemas.codec import decode_event

README = Path(__file__).resolve().parents[2] / "README.md"
SECRET = "push-signup-secret"
SHOP = "https://shop.example"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
LATER = int(NOW.timestamp()) + 3600
FCM = "https://fcm.googleapis.com/fcm/send/abc:def"
PRIVATE, PUBLIC = new_vapid_keys()
P256DH = Browser().subscription(FCM).keys.p256dh


def signed(customer: str, expires: int = LATER, secret: str = SECRET) -> str:
    return push_signup.token(secret.encode(), customer, expires)


def signup(customer: str = "c-42", endpoint: str = FCM, **extra: Any) -> dict[str, Any]:
    subscription = Browser().subscription(endpoint).model_dump()
    return {"token": signed(customer), "subscription": subscription, **extra}


@pytest.fixture
def kafka() -> FakeKafka:
    return FakeKafka()


@pytest.fixture
async def gateway(kafka: FakeKafka) -> AsyncIterator[Client]:
    settings = Settings(
        push_signup_secret=SecretStr(SECRET), vapid_private_key=SecretStr(PRIVATE), shop_url=SHOP
    )
    intake = Intake(TOPICS, SeenEvents(3600), sink=kafka)
    async with connect(create_gateway(settings, intake, clock=lambda: NOW)) as client:
        yield client


def test_a_token_names_its_customer_until_it_expires() -> None:
    token = signed("shop.example/customers/7")
    assert push_signup.customer_of(SECRET.encode(), token, NOW.timestamp()) == (
        "shop.example/customers/7"
    )
    with pytest.raises(push_signup.SignupRefused, match="expired at 2026-12-04T13:00:00"):
        push_signup.customer_of(SECRET.encode(), token, LATER)


def test_the_readmes_recipe_for_other_backends_makes_tokens_the_gateway_takes() -> None:
    # What a shop's backend does without aftercart's code (README, "Web push sign-up").
    section = README.read_text().split("### Web push sign-up", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)\n\s*```", section, re.S)
    assert match, "the README's Web push sign-up section has no python block"
    recipe: dict[str, Any] = {}
    exec(textwrap.dedent(match[1]), recipe)
    token = recipe["push_token"](SECRET.encode(), "c-42", 600)
    assert push_signup.customer_of(SECRET.encode(), token, time.time()) == "c-42"


@pytest.mark.parametrize(
    "forged",
    [
        signed("c-42", secret="another secret"),
        signed("c-43").replace(signed("c-43").split(".")[0], signed("c-42").split(".")[0]),
        signed("c-42").replace(str(LATER), str(LATER + 86_400)),  # a longer life
        push_signup.token(b"unsubscribe", "c-42", LATER),
        "c-42",
        "a.b.c",
        "Yy00Mg.\uff11\uff12.AAAA",  # full-width digits
        "Yy00Mg.9999999999999.AAAA",
        "",
    ],
)
def test_nothing_forged_or_changed_passes(forged: str) -> None:
    with pytest.raises(push_signup.SignupRefused):
        push_signup.customer_of(SECRET.encode(), forged, NOW.timestamp())


async def test_a_signed_subscription_is_published_as_webpush_subscribed(
    gateway: Client, kafka: FakeKafka
) -> None:
    # Given a browser that subscribed with FCM on the shop's page
    body = signup()
    # When the page posts it
    answer = await gateway.post("/push/subscriptions", json=body, headers={"Origin": SHOP})
    # Then it is on the events topic for the customer the shop vouched for
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "accepted"
    assert answer.headers["access-control-allow-origin"] == SHOP
    [record] = kafka.on(TOPICS.events)
    event = decode_event(record.value)
    assert (event.type, record.key) == ("webpush.subscribed", b"c-42")
    data = event.data.model_dump()
    assert data == {"customer_id": "c-42", "subscription": body["subscription"]}
    # And the same post again (a retry after a lost answer) publishes nothing new
    again = await gateway.post("/push/subscriptions", json=body, headers={"Origin": SHOP})
    assert again.json()["status"] == "duplicate" and len(kafka.records) == 1


@pytest.mark.parametrize(
    ("token", "why"),
    [
        (None, "signed token is required"),
        (signed("c-42", expires=int(NOW.timestamp()) - 1), "expired"),
        (signed("c-42", secret="someone else's"), "not signed with this gateway's secret"),
        ("not-a-token", "not a push sign-up token"),
    ],
)
async def test_unsigned_expired_or_tampered_tokens_get_403_and_nothing_is_published(
    gateway: Client, kafka: FakeKafka, token: str | None, why: str
) -> None:
    body = signup() | {"token": token}
    answer = await gateway.post("/push/subscriptions", json=body, headers={"Origin": SHOP})
    assert answer.status_code == 403
    assert why in answer.json()["error"] and answer.json()["field"] == "token"
    assert answer.headers["access-control-allow-origin"] == SHOP  # the page can read why
    assert kafka.records == []


@pytest.mark.parametrize(
    ("subscription", "field", "why"),
    [
        ({"endpoint": "http://fcm.googleapis.com/fcm/send/a"}, "endpoint", "not an allowed"),
        ({"endpoint": "https://169.254.169.254/latest"}, "endpoint", "not an allowed"),
        ({"endpoint": "https://evil.example/push"}, "endpoint", "not an allowed"),
        ({"endpoint": "http://127.0.0.1:8787/push/1"}, "endpoint", "not an allowed"),
        ({"keys": {"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "keys.p256dh", "P-256"),
        ({"keys": {"p256dh": P256DH, "auth": "AAAA"}}, "keys.auth", "16-byte"),
        ({"keys": None}, "keys", "valid dictionary"),
    ],
)
async def test_a_subscription_no_push_worker_could_use_is_refused(
    gateway: Client, kafka: FakeKafka, subscription: dict[str, Any], field: str, why: str
) -> None:
    body = signup()
    body["subscription"] |= subscription
    answer = await gateway.post("/push/subscriptions", json=body)
    assert answer.status_code == 422
    assert answer.json()["field"] == f"subscription.{field}" and why in answer.json()["error"]
    assert kafka.records == []


async def test_the_shops_pages_may_post_across_origins_and_no_one_elses(
    gateway: Client, kafka: FakeKafka
) -> None:
    asked = {"Origin": SHOP, "Access-Control-Request-Method": "POST"}
    ok = await gateway.options("/push/subscriptions", headers=asked)
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == SHOP
    assert "content-type" in ok.headers["access-control-allow-headers"]
    assert ok.headers["access-control-allow-methods"] == "POST"
    other = await gateway.options("/push/subscriptions", headers={"Origin": "https://evil.example"})
    assert other.status_code == 403 and "access-control-allow-origin" not in other.headers
    assert "https://shop.example" in other.json()["error"]
    posted = await gateway.post(
        "/push/subscriptions", json=signup(), headers={"Origin": "https://evil.example"}
    )
    assert posted.status_code == 403 and kafka.records == []


async def test_the_scripts_are_served_as_javascript_with_the_public_key(gateway: Client) -> None:
    worker = await gateway.get("/push/sw.js")
    assert worker.headers["content-type"] == "text/javascript; charset=utf-8"
    assert worker.headers["service-worker-allowed"] == "/"
    assert "showNotification" in worker.text
    script = await gateway.get("/push/subscribe.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert f'const APPLICATION_SERVER_KEY = "{PUBLIC}";' in script.text
    for text in (worker.text, script.text):
        assert "import(" not in text and "importScripts" not in text  # nothing loaded from afar
    key = await gateway.get("/push/key")
    assert key.json() == {"applicationServerKey": PUBLIC}


async def test_kafka_down_is_a_503_the_page_can_read(gateway: Client, kafka: FakeKafka) -> None:
    kafka.down = True
    answer = await gateway.post("/push/subscriptions", json=signup(), headers={"Origin": SHOP})
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert answer.headers["access-control-allow-origin"] == SHOP


async def test_without_a_secret_or_vapid_key_sign_up_is_closed_and_says_why() -> None:
    intake = Intake(TOPICS, SeenEvents(3600), sink=FakeKafka())
    settings = Settings(push_signup_secret=SecretStr(SECRET))  # no VAPID key
    async with connect(create_gateway(settings, intake)) as client:
        for path in ("/push/subscribe.js", "/push/key"):
            answer = await client.get(path)
            assert answer.status_code == 404 and "AFTERCART_VAPID_PRIVATE_KEY" in answer.text
        posted = await client.post("/push/subscriptions", json=signup())
        assert posted.status_code == 404
        assert (await client.get("/push/sw.js")).status_code == 200


def test_push_token_signs_for_the_shops_backend(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFTERCART_PUSH_SIGNUP_SECRET", SECRET)
    assert main(["push-token", "c-42", "--valid-for", "2h"]) == 0
    token = capsys.readouterr().out.strip()
    now = datetime.now(UTC).timestamp()
    assert push_signup.customer_of(SECRET.encode(), token, now) == "c-42"
    assert 7000 < int(token.split(".")[1]) - now <= 7200
    monkeypatch.delenv("AFTERCART_PUSH_SIGNUP_SECRET")
    assert main(["push-token", "c-42"]) == 2
    assert "AFTERCART_PUSH_SIGNUP_SECRET is not set" in capsys.readouterr().err


async def test_the_listed_origins_replace_the_shop_urls() -> None:
    settings = Settings(
        push_signup_secret=SecretStr(SECRET),
        vapid_private_key=SecretStr(PRIVATE),
        shop_url=SHOP,
        push_signup_origins=("https://WWW.shop.example:443",),
    )
    intake = Intake(TOPICS, SeenEvents(3600), sink=FakeKafka())
    async with connect(create_gateway(settings, intake, clock=lambda: NOW)) as client:
        www = {"Origin": "https://www.shop.example"}
        assert (await client.options("/push/subscriptions", headers=www)).status_code == 204
        bare = {"Origin": SHOP}
        assert (await client.options("/push/subscriptions", headers=bare)).status_code == 403


@pytest.mark.parametrize(
    ("setting", "why"),
    [
        ({"vapid_private_key": SecretStr("not a key")}, "vapid_private_key is not a P-256"),
        ({"push_signup_origins": ("ftp://shop.example",)}, "push_signup_origins entry"),
        ({"shop_url": ""}, "set AFTERCART_PUSH_SIGNUP_ORIGINS or AFTERCART_SHOP_URL"),
    ],
)
def test_a_sign_up_setting_that_cannot_work_stops_the_gateway_naming_it(
    setting: dict[str, Any], why: str
) -> None:
    on = {"push_signup_secret": SecretStr(SECRET), "vapid_private_key": SecretStr(PRIVATE)}
    settings = Settings(**(on | setting))
    with pytest.raises(BadPushSetting, match=why):
        create_gateway(settings, Intake(TOPICS, SeenEvents(3600), sink=FakeKafka()))
