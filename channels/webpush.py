"""Web Push (RFC 8030/8291/8292): aes128gcm with pywebpush, VAPID with py_vapid, aiohttp.

A subscription's endpoint is a URL a browser handed us, so it is checked against the allowed
push services before anything is sent: a stored subscription must never make a worker call an
arbitrary or internal address.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

import aiohttp
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid, VapidException
from pywebpush import WebPusher, WebPushException
from yarl import URL

from aftercart.settings import Settings
from channels.errors import (
    ConfigurationError,
    DeliveryError,
    DisallowedEndpoint,
    PermanentError,
    RetriableError,
    SubscriptionGone,
    retry_after_seconds,
)
from channels.messages import PushMessage, Receipt

log = logging.getLogger(__name__)

# RFC 8292 allows at most 24 h; sign for 12 h and renew in the last hour.
VAPID_LIFETIME_S = 12 * 3600
VAPID_RENEW_S = 3600
# Printable ASCII without spaces or backslashes: nothing two URL parsers could read differently.
_URL_CHARS = re.compile(r"[!-\[\]-~]+")
# Subscriptions whose parsed keys are kept; the oldest goes first beyond this.
PUSHER_CACHE_SIZE = 4096


def check_endpoint(endpoint: str, allowed_origins: Iterable[str]) -> URL:
    """The endpoint as a URL if it belongs to an allowed push service, else DisallowedEndpoint.

    An https endpoint matches an origin exactly or a `https://*.domain` entry by one extra
    label; any other scheme (the local sandbox) only matches an exactly configured origin.
    Userinfo, ports the origin does not list and odd characters are refused.
    """
    if not _URL_CHARS.fullmatch(endpoint):
        raise DisallowedEndpoint("push", "endpoint has characters a URL may not carry")
    try:
        url = URL(endpoint)
    except ValueError as exc:
        raise DisallowedEndpoint("push", f"endpoint is not a URL: {exc}") from exc
    if url.user is not None or url.password is not None:
        raise DisallowedEndpoint("push", "endpoint carries userinfo")
    if not url.raw_host or not url.absolute:
        raise DisallowedEndpoint("push", "endpoint has no host")
    for entry in allowed_origins:
        scheme, port, pattern = _origin(entry)
        if (scheme, port) != (url.scheme, url.port):
            continue
        host = url.raw_host.lower()
        if host == pattern:
            return url
        if pattern.startswith("*.") and url.scheme == "https":
            label, _, rest = host.partition(".")
            if label and rest == pattern[2:]:
                return url
    raise DisallowedEndpoint("push", f"{url.scheme}://{url.raw_host} is not an allowed service")


@lru_cache(maxsize=256)
def _origin(entry: str) -> tuple[str, int | None, str]:
    """An allowed origin as (scheme, port, lowercase host pattern), parsed once."""
    allowed = URL(entry)
    return allowed.scheme, allowed.port, (allowed.raw_host or "").lower()


def error_for_status(status: int, headers: Mapping[str, str], detail: str) -> DeliveryError:
    """The push service's refusal as the error type that says what to do next."""
    code = str(status)
    if status in (404, 410):
        return SubscriptionGone("push", f"subscription gone: {detail}", code)
    if status == 429 or status >= 500:
        return RetriableError("push", detail, code, retry_after_seconds(headers))
    if status in (400, 401, 403):
        return ConfigurationError("push", f"VAPID or request rejected: {detail}", code)
    return PermanentError("push", detail, code)


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
    key = secret.get_secret_value().strip()
    try:
        if key.startswith("-----BEGIN"):
            return Vapid.from_pem(key.encode())
        return Vapid.from_string(key)
    except (VapidException, ValueError, TypeError, binascii.Error) as exc:
        # The parser's message may quote the key: say only what is wrong.
        raise ConfigurationError("push", "vapid_private_key is not a P-256 private key") from exc


class WebPush:
    """Sends encrypted web pushes to allowed push services over one pooled session."""

    channel = "push"

    def __init__(
        self,
        settings: Settings,
        *,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._origins = settings.push_origins
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
        raw = self._vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    async def send(self, message: PushMessage) -> Receipt:
        """Encrypt and post one push; one attempt, errors raised by type."""
        url = check_endpoint(message.subscription.endpoint, self._origins)
        body = self._encrypt(message)
        origin = str(url.origin())
        headers = {
            "TTL": str(message.ttl),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Urgency": "normal",
            "Authorization": self._tokens.authorization(origin),
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
            raise RetriableError("push", f"{type(exc).__name__}: {exc}") from exc

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
