"""Web Push (RFC 8030/8291/8292): aes128gcm with pywebpush, VAPID with py_vapid, aiohttp.

A subscription's endpoint is a URL a browser handed us, so it is checked against the allowed
push services before anything is sent (the rule in runtime/push.py, which the gateway also
applies at sign-up): a stored subscription must never make a worker call an arbitrary or
internal address.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

import aiohttp
from py_vapid import Vapid, VapidException
from pywebpush import WebPusher, WebPushException
from yarl import URL

from channels.errors import (
    ConfigurationError,
    DeliveryError,
    DisallowedEndpoint,
    LookupUnavailable,
    PayloadTooLarge,
    PermanentError,
    RetriableError,
    SubscriptionGone,
    no_answer,
    retry_after_seconds,
)
from channels.messages import PushMessage, Receipt
from channels.render import MAX_PUSH_PAYLOAD
from runtime import push
from runtime.push import application_server_key
from runtime.settings import Settings

log = logging.getLogger(__name__)

# RFC 8292 allows at most 24 h; sign for 12 h and renew in the last hour.
VAPID_LIFETIME_S = 12 * 3600
VAPID_RENEW_S = 3600
# Subscriptions whose parsed keys are kept; the oldest goes first beyond this.
PUSHER_CACHE_SIZE = 4096
# What a push keeps when its service refuses the size (413): the start of title and body.
SHORT_PUSH_TITLE = 80
SHORT_PUSH_BODY = 160


def allowed_push_origins(settings: Settings) -> tuple[str, ...]:
    """The push services a subscription may point at (runtime/push.py); anything else
    configured fails at start."""
    try:
        return push.allowed_origins(settings)
    except push.BadPushSetting as exc:
        raise ConfigurationError("push", str(exc)) from None


def check_endpoint(endpoint: str, allowed_origins: Iterable[str]) -> URL:
    """The endpoint as a URL if it belongs to an allowed push service (the rule the gateway
    applies at sign-up, runtime/push.py), else DisallowedEndpoint: never called."""
    try:
        return push.check_endpoint(endpoint, allowed_origins)
    except push.EndpointRefused as exc:
        raise DisallowedEndpoint("push", str(exc)) from None


def error_for_status(status: int, headers: Mapping[str, str], detail: str) -> DeliveryError:
    """The push service's refusal as the error type that says what to do next."""
    code = str(status)
    if status in (404, 410):
        return SubscriptionGone("push", f"subscription gone: {detail}", code)
    if status == 413:
        return PayloadTooLarge("push", f"payload too large: {detail}", code)
    if status == 429 or status >= 500:
        return RetriableError("push", detail, code, retry_after_seconds(headers))
    if status in (400, 401, 403):
        return ConfigurationError("push", f"VAPID or request rejected: {detail}", code)
    return PermanentError("push", detail, code)


def shrunk_payload(payload: bytes) -> bytes | None:
    """The payload for a second try after a 413: its ids, the start of its title and body and
    no link; None when it is not the renderer's JSON or would be no shorter."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("title"), str):
        return None
    body = data.get("body")
    short = {
        "notification_id": data.get("notification_id"),
        "title": _cut(data["title"], SHORT_PUSH_TITLE),
        "body": _cut(body if isinstance(body, str) else "", SHORT_PUSH_BODY),
        "url": "",
        "tag": data.get("tag"),
    }
    short = {k: v for k, v in short.items() if isinstance(v, str) and len(v) <= MAX_PUSH_PAYLOAD}
    raw = json.dumps(short, ensure_ascii=False, separators=(",", ":")).encode()
    return raw if len(raw) < len(payload) and len(raw) <= MAX_PUSH_PAYLOAD else None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def new_vapid_keys() -> tuple[str, str]:
    """A new VAPID key pair: the private key as `vapid_private_key` reads it (base64url of the
    32-byte scalar) and the application server key browsers subscribe with."""
    vapid = Vapid()
    vapid.generate_keys()
    scalar = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return _b64url(scalar), application_server_key(vapid)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class VapidTokens:
    """Signs one VAPID JWT per push-service origin and reuses it until near its expiry."""

    def __init__(self, vapid: Vapid, subject: str, clock: Callable[[], float] = time.time) -> None:
        self._vapid = vapid
        self._subject = subject
        self._clock = clock
        self._cache: dict[str, tuple[str, float]] = {}

    def authorization(self, origin: str) -> str:
        """The `Authorization: vapid t=...,k=...` value for this origin."""
        now = self._clock()
        cached = self._cache.get(origin)
        if cached and cached[1] - now > VAPID_RENEW_S:
            return cached[0]
        expires = int(now) + VAPID_LIFETIME_S
        claims = {"aud": origin, "sub": self._subject, "exp": expires}
        header: str = self._vapid.sign(claims)["Authorization"]
        if len(self._cache) >= 1024:  # wildcard origins are many hosts; keep the cache small
            self._cache.clear()
        self._cache[origin] = (header, expires)
        return header


def load_vapid(settings: Settings) -> Vapid:
    """The configured VAPID key, or an ephemeral one (logged once, without key material)."""
    secret = settings.vapid_private_key
    if secret is None:
        vapid = Vapid()
        vapid.generate_keys()
        log.warning(
            "no vapid_private_key configured: using an ephemeral VAPID key; push only "
            "reaches subscriptions created with this process's application server key"
        )
        return vapid
    try:
        return push.parse_vapid_key(secret.get_secret_value())
    except push.BadPushSetting as exc:
        raise ConfigurationError("push", str(exc)) from None


class WebPush:
    """Sends encrypted web pushes to allowed push services over one pooled session."""

    channel = "push"
    can_find = False  # push services cannot be asked what they accepted

    def __init__(
        self,
        settings: Settings,
        *,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._origins = allowed_push_origins(settings)
        self._vapid = load_vapid(settings)
        self._tokens = VapidTokens(self._vapid, settings.vapid_subject, clock)
        try:  # a bad subject fails at start, not on every message
            self._vapid.sign({"aud": "https://push.example", "sub": settings.vapid_subject})
        except VapidException as exc:
            raise ConfigurationError("push", f"vapid_subject is invalid: {exc}") from exc
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._limit = settings.channel_concurrency
        self._session: aiohttp.ClientSession | None = None
        # Parsing a subscription's keys is the same work for every message to that browser.
        self._pushers: dict[tuple[str, str], WebPusher] = {}

    @property
    def application_server_key(self) -> str:
        """The public key browsers subscribe with (base64url, uncompressed P-256 point)."""
        return application_server_key(self._vapid)

    async def send(self, message: PushMessage) -> Receipt:
        """Encrypt and post one push; one attempt, errors raised by type.

        A 413 gets one more post with a shortened payload (`shrunk_payload`): a service may
        take less than RFC 8291's 4,096 bytes, and that is a different message, not a retry.
        """
        url = check_endpoint(message.subscription.endpoint, self._origins)
        authorization = self._tokens.authorization(str(url.origin()))
        try:
            return await self._post(url, message, authorization)
        except PayloadTooLarge as exc:
            shorter = shrunk_payload(message.payload)
            size = len(message.payload)
            if shorter is None:
                reason = f"{size}-byte payload refused, nothing left to shorten: {exc.detail}"
                raise PayloadTooLarge("push", reason, exc.provider_code) from exc
            try:
                smaller = dataclasses.replace(message, payload=shorter)
                return await self._post(url, smaller, authorization)
            except PayloadTooLarge as again:
                reason = f"{size}-byte payload refused, also shortened to {len(shorter)}: "
                raise PayloadTooLarge("push", reason + again.detail, again.provider_code) from exc

    async def _post(self, url: URL, message: PushMessage, authorization: str) -> Receipt:
        body = self._encrypt(message)
        headers = {
            "TTL": str(message.ttl),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Urgency": "normal",
            # A second send of this notification (its answer lost to a crash) replaces the
            # first while the browser has not fetched it yet.
            "Topic": message.topic,
            "Authorization": authorization,
        }
        try:
            # No redirects: a push service must not bounce us to an address we never checked.
            async with self._client().post(
                url, data=body, headers=headers, allow_redirects=False
            ) as resp:
                if resp.status in (200, 201, 202):
                    return Receipt("push", message.notification_id, resp.headers.get("Location"))
                detail = f"HTTP {resp.status}: {(await resp.text(errors='replace'))[:300]}"
                raise error_for_status(resp.status, resp.headers, detail)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise no_answer("push", exc) from exc

    async def find(self, message: PushMessage, since: datetime) -> Receipt | None:
        """Cannot tell: push services cannot be asked what they accepted."""
        raise LookupUnavailable("push", "push services cannot be asked what they accepted")

    async def close(self) -> None:
        """Close the pooled session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _encrypt(self, message: PushMessage) -> bytes:
        """aes128gcm body for the subscription's keys; broken keys make it undeliverable."""
        keys = message.subscription.keys
        try:
            pusher = self._pushers.get((keys.p256dh, keys.auth))
            if pusher is None:
                pusher = WebPusher(message.subscription.model_dump(exclude_none=True))
                if len(self._pushers) >= PUSHER_CACHE_SIZE:
                    del self._pushers[next(iter(self._pushers))]
                self._pushers[keys.p256dh, keys.auth] = pusher
            # A fresh ephemeral ECDH key and salt per message, as RFC 8291 requires.
            encoded = pusher.encode(message.payload, "aes128gcm")
        except (WebPushException, ValueError, TypeError, binascii.Error) as exc:
            raise PermanentError("push", f"subscription keys are unusable: {exc}") from exc
        body: bytes = encoded["body"]
        return body

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use: aiohttp sessions belong to the running event loop.
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._limit)
            self._session = aiohttp.ClientSession(timeout=self._timeout, connector=connector)
        return self._session
