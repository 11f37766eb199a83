"""Every gateway route fuzzed: random bytes, truncated JSON, deep nesting, huge numbers, wrong
types and encodings, headers missing or doubled, signed as the sender would sign them (so the
input gets past the signature) or not. Whatever comes, the answer is a clear error or success,
never a 500 and never a hang, and the gateway is still ready afterwards."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingesting import NEW_SECRET, SHOP, STORE, TOKEN, TOPICS, WOO_SECRET, FakeKafka, connect
from json_fuzz import json_values
from pushing import Browser
from pydantic import SecretStr

from channels.webpush import new_vapid_keys
from ingest.accept import Intake
from ingest.dedupe import SeenEvents
from ingest.gateway import create_gateway
from ingest.receipts import parse_form, twilio_signature
from ingest.shopify import MAPPERS
from ingest.signatures import sign
from ingest.web import Problem
from runtime import push_signup, unsubscribe
from runtime.settings import Settings

ANSWERS = {200, 400, 401, 403, 404, 405, 409, 413, 415, 422, 503}
PREFLIGHT = {204}  # OPTIONS /push/subscriptions: allowed, nothing to say
PER_ROUTE = 200
TIMEOUT_S = 5.0
SHOP_PAGE = "https://shop.example"
PUBLIC_URL = "https://hooks.example"
SECRETS = {
    "twilio": "twilio-auth-token-0001",
    "unsubscribe": "unsubscribe-secret-0001",
    "signup": "push-signup-secret-0001",
    "api": "support-tool-token-0001",
}
SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())
Headers = list[tuple[str, str]]
Signer = Callable[[st.DrawFn, bytes, Headers], str]  # adds its headers, returns the path


class NoNotifications:
    """A support tool's lookup that knows nothing (and has caught up)."""

    waiting = None

    def notification(self, notification_id: str) -> dict[str, Any] | None:
        return {"id": notification_id} if notification_id == "n-1" else None

    def order(self, order: str) -> dict[str, Any] | None:
        return None

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


def gateway_settings() -> Settings:
    public = SENDGRID_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Settings(
        shopify_secrets={SHOP: [SecretStr(NEW_SECRET)]},
        woocommerce_secrets={STORE: [SecretStr(WOO_SECRET)]},
        events_tokens=[SecretStr(TOKEN)],
        api_tokens=[SecretStr(SECRETS["api"])],
        unsubscribe_secret=SecretStr(SECRETS["unsubscribe"]),
        push_signup_secret=SecretStr(SECRETS["signup"]),
        vapid_private_key=SecretStr(new_vapid_keys()[0]),
        push_signup_origins=(SHOP_PAGE,),
        push_allow_sandbox=True,
        sendgrid_webhook_public_key=base64.b64encode(public).decode(),
        twilio_account_sid="AC" + "1" * 32,
        twilio_auth_token=SecretStr(SECRETS["twilio"]),
        public_url=PUBLIC_URL,
        gateway_max_body_bytes=64 * 1024,
        events_max_batch=50,
    )


# --- bodies -----------------------------------------------------------------------------------

JSON = json_values(
    ["orders/create", "order.placed", "1.0", "delivered", "bounce", "c-1"],
    ["id", "type", "source", "specversion", "data", "event", "email", "token", "subscription"],
)


def deep(draw: st.DrawFn) -> bytes:
    depth = draw(st.integers(min_value=100, max_value=5000))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    return (opener * depth + "1" + closer * depth).encode()


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """What a sender might post, well-formed or not."""
    kind = draw(st.sampled_from(["bytes", "json", "truncated", "deep", "number", "encoding"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "deep":
        return deep(draw)
    if kind == "number":
        digits = "9" * draw(st.integers(min_value=1, max_value=20_000))
        return draw(st.sampled_from(["[{}]", '{{"id": {}}}', "{}"])).format(digits).encode()
    text = json.dumps(draw(JSON))
    if kind == "truncated":
        return text.encode()[: draw(st.integers(min_value=0, max_value=len(text)))]
    if kind == "encoding":
        return text.encode(
            draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252"])), "replace"
        )
    return text.encode()


# --- how each sender signs --------------------------------------------------------------------


def shopify_hook(draw: st.DrawFn, body: bytes, headers: Headers) -> str:
    headers += [
        ("X-Shopify-Hmac-Sha256", sign(body, NEW_SECRET)),
        ("X-Shopify-Shop-Domain", SHOP),
        ("X-Shopify-Topic", draw(st.sampled_from([*MAPPERS, "products/create", ""]))),
        ("X-Shopify-Webhook-Id", draw(st.text(max_size=8))),
        ("X-Shopify-Triggered-At", draw(st.sampled_from([now(), "", "nonsense", "9999-01-01"]))),
    ]
    return "/webhooks/shopify"


def woocommerce_hook(draw: st.DrawFn, body: bytes, headers: Headers) -> str:
    topic = draw(st.sampled_from(["order.created", "order.updated", "order.deleted", ""]))
    headers += [
        ("X-WC-Webhook-Signature", sign(body, WOO_SECRET)),
        ("X-WC-Webhook-Source", STORE),
        ("X-WC-Webhook-Topic", topic),
        ("X-WC-Webhook-Delivery-Id", draw(st.text(max_size=8))),
    ]
    return "/webhooks/woocommerce"


def cloudevents(draw: st.DrawFn, body: bytes, headers: Headers) -> str:
    media = ["application/cloudevents+json", "application/cloudevents-batch+json"]
    headers += [
        ("Authorization", f"Bearer {TOKEN}"),
        ("Content-Type", draw(st.sampled_from([*media, "application/json", "text/plain"]))),
    ]
    for name in draw(st.lists(st.sampled_from(["id", "source", "type", "specversion", "time"]))):
        headers.append((f"ce-{name}", quote(draw(st.text(max_size=12)))))
    return "/events"


def sendgrid(draw: st.DrawFn, body: bytes, headers: Headers) -> str:
    stamp = draw(st.sampled_from([str(int(time.time())), "0", "x", ""]))
    signature = SENDGRID_KEY.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    headers += [
        ("X-Twilio-Email-Event-Webhook-Signature", base64.b64encode(signature).decode()),
        ("X-Twilio-Email-Event-Webhook-Timestamp", stamp),
    ]
    return "/receipts/sendgrid"


def twilio(draw: st.DrawFn, body: bytes, headers: Headers) -> str:
    path = "/receipts/twilio?" + draw(st.sampled_from(["notification_id=n-1&customer_id=c", ""]))
    try:
        params = parse_form(body)
    except Problem:  # too many fields: the gateway must say so unsigned as well
        params = []
    headers.append(
        ("X-Twilio-Signature", twilio_signature(PUBLIC_URL + path, params, SECRETS["twilio"]))
    )
    return path


def unsubscribe_link(draw: st.DrawFn, body: bytes, headers: Headers) -> str:
    customer = draw(st.text(min_size=1, max_size=20))
    good = unsubscribe.token(SECRETS["unsubscribe"].encode(), customer)
    token = draw(st.sampled_from([good, good[:-2], "", "a.b"]) | st.text(max_size=10))
    return f"/unsubscribe?t={quote(token)}"


def push_signup_post(draw: st.DrawFn, body: bytes, headers: Headers) -> str:
    headers.append(("Origin", draw(st.sampled_from([SHOP_PAGE, "https://evil.example", ""]))))
    return "/push/subscriptions"


def notifications(draw: st.DrawFn, body: bytes, headers: Headers) -> str:
    headers.append(("Authorization", f"Bearer {SECRETS['api']}"))
    name = quote(draw(st.text(min_size=1, max_size=20)), safe="")
    return draw(st.sampled_from([f"/notifications/{name}", f"/orders/{name}/notifications"]))


def plain(path: str) -> Signer:
    return lambda draw, body, headers: path


def now() -> str:
    return datetime.now(UTC).isoformat()


def push_body(draw: st.DrawFn) -> bytes:
    """A sign-up body: a good token and subscription, each perhaps damaged."""
    token = push_signup.token(SECRETS["signup"].encode(), "c-1", int(time.time()) + 600)
    subscription: Any = Browser().subscription("http://127.0.0.1:8787/push/x").model_dump()
    value = {"token": draw(st.sampled_from([token, token[:-3], ""])), "subscription": subscription}
    value[draw(st.sampled_from(["token", "subscription", "other"]))] = draw(JSON)
    return json.dumps(value).encode()


ROUTES: dict[str, tuple[str, Signer]] = {
    "shopify": ("POST", shopify_hook),
    "woocommerce": ("POST", woocommerce_hook),
    "events": ("POST", cloudevents),
    "sendgrid": ("POST", sendgrid),
    "twilio": ("POST", twilio),
    "unsubscribe page": ("GET", unsubscribe_link),
    "unsubscribe": ("POST", unsubscribe_link),
    "push sign-up": ("POST", push_signup_post),
    "push preflight": ("OPTIONS", push_signup_post),
    "notifications": ("GET", notifications),
    "healthz": ("GET", plain("/healthz")),
    "readyz": ("GET", plain("/readyz")),
    "metrics": ("GET", plain("/metrics")),
    "push worker": ("GET", plain("/push/sw.js")),
    "push script": ("GET", plain("/push/subscribe.js")),
    "push key": ("GET", plain("/push/key")),
}


@st.composite
def requests(draw: st.DrawFn, route: str) -> tuple[str, str, Headers, bytes]:
    """One request to `route`: its body and headers, signed or not, some missing or doubled."""
    method, signer = ROUTES[route]
    body = push_body(draw) if route == "push sign-up" and draw(st.booleans()) else draw(bodies())
    headers: Headers = []
    path = signer(draw, body, headers)
    if headers and draw(st.integers(min_value=0, max_value=3)) == 0:
        del headers[draw(st.integers(min_value=0, max_value=len(headers) - 1))]
    if headers and draw(st.integers(min_value=0, max_value=3)) == 0:
        name, _ = draw(st.sampled_from(headers))
        headers.append((name, draw(st.sampled_from(["", "x", "Bearer ", "\x7f"]))))
    if draw(st.integers(min_value=0, max_value=19)) == 0:
        method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS"]))
    return method, path, headers, body


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A loop of the test's own: hypothesis drives the examples from plain calls."""
    own = asyncio.new_event_loop()
    yield own
    own.close()


@pytest.mark.parametrize("route", ROUTES)
def test_no_input_makes_a_route_fail_or_hang(route: str, loop: asyncio.AbstractEventLoop) -> None:
    kafka = FakeKafka()
    intake = Intake(TOPICS, SeenEvents(3600), sink=kafka)
    app = create_gateway(gateway_settings(), intake, lookup=NoNotifications())
    client = connect(app)
    answers: Counter[int] = Counter()

    @settings(
        max_examples=PER_ROUTE,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=requests(route))
    def answer(request: tuple[str, str, Headers, bytes]) -> None:
        method, path, headers, body = request
        raw = [
            (name, value.encode("utf-8")) for name, value in headers
        ]  # UTF-8 too, not only ASCII
        sent = client.request(method, path, headers=raw, content=body)
        status = loop.run_until_complete(asyncio.wait_for(sent, TIMEOUT_S)).status_code
        answers[status] += 1
        allowed = ANSWERS | (PREFLIGHT if method == "OPTIONS" else set())
        assert status in allowed, f"{method} {path} {headers} {body[:200]!r}: {status}"

    answer()
    ready = loop.run_until_complete(asyncio.wait_for(client.get("/readyz"), TIMEOUT_S))
    loop.run_until_complete(client.aclose())
    assert ready.status_code == 200
    print(
        f"fuzzed {route}: {answers.total()} inputs tried, answers {dict(sorted(answers.items()))}"
    )
