"""Web push sign-up: the service worker and the subscribe script a shop's pages use, the VAPID
public key, and POST /push/subscriptions, which turns a browser's subscription into a
`webpush.subscribed` event for the customer the shop vouched for (runtime/push_signup.py).

The shop's pages live on the shop's origin and the gateway elsewhere, so the POST is a
cross-origin request: the browser asks first (OPTIONS), and only the shop's origins
(`push_signup_origins`, else `shop_url`'s) are let through. A subscription is refused before
anything is published unless its endpoint is one of an allowed push service, by the rule the
push worker applies before every send (runtime/push.py).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import orjson
from pydantic import ValidationError
from yarl import URL

from ingest.accept import Intake
from ingest.mapping import MappingError, build
from ingest.routes import Clock
from ingest.web import Answer, Problem, Request
from runtime import push, push_signup
from runtime.settings import Settings
from schemas.common import PushSubscription
from schemas.events import CloudEvent

WORKER = "/push/sw.js"
SCRIPT = "/push/subscribe.js"
KEY = "/push/key"
SUBSCRIPTIONS = "/push/subscriptions"

JAVASCRIPT = "text/javascript; charset=utf-8"
Headers = tuple[tuple[bytes, bytes], ...]
# A shop serving sw.js under a folder (/assets/aftercart-sw.js) may still control its whole
# site; and a new version is picked up at once.
WORKER_HEADERS: Headers = ((b"service-worker-allowed", b"/"), (b"cache-control", b"no-cache"))
SCRIPT_HEADERS: Headers = ((b"cache-control", b"no-cache"),)
PREFLIGHT: Headers = (
    (b"access-control-allow-methods", b"POST"),
    (b"access-control-allow-headers", b"content-type"),
    (b"access-control-max-age", b"600"),
)
NOT_CONFIGURED = (
    "web push sign-up is not configured: the gateway needs AFTERCART_PUSH_SIGNUP_SECRET and "
    "AFTERCART_VAPID_PRIVATE_KEY (the push worker's)"
)


def _browser_file(name: str) -> str:
    return resources.files("ingest").joinpath("browser", name).read_text(encoding="utf-8")


def shop_origins(settings: Settings) -> frozenset[str]:
    """The origins whose pages may post subscriptions; ValueError for an entry that is none."""
    name = "push_signup_origins entry" if settings.push_signup_origins else "shop_url"
    entries = settings.push_signup_origins or [u for u in (settings.shop_url,) if u]
    if not entries:
        raise push.BadPushSetting(
            "web push sign-up needs the origins of the shop's pages: set "
            "AFTERCART_PUSH_SIGNUP_ORIGINS or AFTERCART_SHOP_URL"
        )
    origins = set()
    for entry in entries:
        url = URL(entry)
        if url.scheme not in ("http", "https") or not url.raw_host or url.user is not None:
            raise push.BadPushSetting(
                f"{name} {entry!r} is not an origin such as https://shop.example, which web "
                "push sign-up needs (AFTERCART_PUSH_SIGNUP_ORIGINS)"
            )
        origins.add(str(url.origin()).lower())
    return frozenset(origins)


class PushSignup:
    """Signs browsers up for web push; 404 but for the service worker until configured."""

    def __init__(self, settings: Settings, intake: Intake, clock: Clock) -> None:
        secret = settings.push_signup_secret
        self.secret = secret.get_secret_value().encode() if secret else None
        vapid = settings.vapid_private_key
        self.key = (
            push.application_server_key(push.parse_vapid_key(vapid.get_secret_value()))
            if vapid
            else None
        )
        self.push_services = push.allowed_origins(settings)
        # Read only when sign-up is on: a shop_url that is no origin must not stop a gateway
        # that signs no one up.
        self.shops = shop_origins(settings) if self.secret and self.key else frozenset()
        self.source = settings.public_url.rstrip("/")
        self.intake = intake
        self.clock = clock
        self.worker = _browser_file("sw.js").encode()
        subscribe = _browser_file("subscribe.js")
        self.script = subscribe.replace("__APPLICATION_SERVER_KEY__", json.dumps(self.key)).encode()

    async def service_worker(self, request: Request) -> Answer:
        """GET /push/sw.js: what the shop serves from its own origin."""
        return Answer(200, {}, WORKER_HEADERS, content=(JAVASCRIPT, self.worker))

    async def subscribe_script(self, request: Request) -> Answer:
        """GET /push/subscribe.js: the script a shop's page loads, the public key in it."""
        self._configured()
        return Answer(200, {}, SCRIPT_HEADERS, content=(JAVASCRIPT, self.script))

    async def public_key(self, request: Request) -> Answer:
        """GET /push/key: the application server key, for a shop that writes its own script."""
        key = self._configured()[1]
        cors = ((b"access-control-allow-origin", b"*"),)
        return Answer(200, {"applicationServerKey": key}, cors)

    async def preflight(self, request: Request) -> Answer:
        """OPTIONS /push/subscriptions: may a page of this origin post a subscription?"""
        if not request.header("origin"):
            raise Problem(400, "a CORS preflight names its Origin")
        return Answer(204, {}, (*self._cors(request), *PREFLIGHT), content=("text/plain", b""))

    async def subscribe(self, request: Request) -> Answer:
        """POST /push/subscriptions `{"token", "subscription"}`: published as
        webpush.subscribed once Kafka acknowledged; 403 for a token that is not good."""
        cors = self._cors(request)
        try:
            event = self._event(request)
            answer = await self.intake.publish([event], source="push")
        except Problem as problem:
            problem.headers = cors  # so that the page can read why
            raise
        return Answer(200, answer, cors)

    def _event(self, request: Request) -> CloudEvent:
        secret, _ = self._configured()
        body = _json_object(request.body)
        token = body.get("token")
        if not isinstance(token, str) or not token.strip():
            raise Problem(403, "the customer's signed token is required (token)", "token")
        try:
            customer = push_signup.customer_of(secret, token, self.clock().timestamp())
        except push_signup.SignupRefused as exc:
            raise Problem(403, str(exc), "token") from None
        subscription = _subscription(body.get("subscription"), self.push_services)
        data = {"customer_id": customer, "subscription": subscription.model_dump()}
        key = f"push/{customer}/{subscription.endpoint}/{subscription.keys.p256dh}"
        try:
            return build("webpush.subscribed", data, source=self.source, key=key, time=self.clock())
        except MappingError as exc:  # a customer id the shop signed that no event may carry
            raise Problem(422, exc.reason, exc.field) from None

    def _configured(self) -> tuple[bytes, str]:
        if self.secret is None or self.key is None:
            raise Problem(404, NOT_CONFIGURED)
        return self.secret, self.key

    def _cors(self, request: Request) -> Headers:
        """The headers that let the page read the answer; 403 for a page of another origin.
        A request without Origin (the shop's own backend) needs none."""
        origin = request.header("origin")
        if not origin:
            return ()
        if origin.lower() not in self.shops:
            allowed = ", ".join(sorted(self.shops))
            raise Problem(
                403,
                f"pages of {origin} may not sign up for web push here (allowed: {allowed}; "
                "see AFTERCART_PUSH_SIGNUP_ORIGINS)",
            )
        return ((b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin"))


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Problem(400, f"malformed JSON: {exc}") from None
    if not isinstance(value, dict):
        raise Problem(400, 'expected a JSON object {"token": ..., "subscription": ...}')
    return value


def _subscription(value: Any, push_services: tuple[str, ...]) -> PushSubscription:
    """The browser's PushSubscription JSON, if a push worker could ever use it."""
    if value is None:
        raise Problem(422, "required: the browser's PushSubscription", "subscription")
    try:
        subscription = PushSubscription.model_validate(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(["subscription", *(str(part) for part in error["loc"])])
        raise Problem(422, error["msg"], where) from None
    try:
        push.check_endpoint(subscription.endpoint, push_services)
    except push.EndpointRefused as exc:
        raise Problem(422, str(exc), "subscription.endpoint") from None
    try:
        push.check_keys(subscription.keys.p256dh, subscription.keys.auth)
    except ValueError as exc:
        where, _, why = str(exc).partition(": ")
        raise Problem(422, why, f"subscription.{where}") from None
    return subscription
