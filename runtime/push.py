"""What the gateway and the push worker share about web push: which push services a
subscription may point at, and the VAPID key browsers subscribe with.

A subscription's endpoint is a URL a browser handed us. The gateway refuses one outside the
allowed push services before it is stored, and the push worker checks it again before every
send (channels/webpush.py), with this one rule: a stored subscription must never make a worker
call an arbitrary or internal address.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid, VapidException
from yarl import URL

from runtime.settings import Settings

# Printable ASCII without spaces or backslashes: nothing two URL parsers could read differently.
_URL_CHARS = re.compile(r"[!-\[\]-~]+")
# A DNS name whose last label starts with a letter: no IP literal in any spelling (127.1,
# 0x7f000001, 2130706433, [::1]), no '*' or '%', reaches the resolver as an https host.
_HOSTNAME = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]")


class EndpointRefused(ValueError):
    """A subscription's endpoint is not one of an allowed push service."""


class BadPushSetting(ValueError):
    """A web push setting that cannot work; the message names it, never a key's material."""


def allowed_origins(settings: Settings) -> tuple[str, ...]:
    """The push services a subscription may point at: https only, plus the sandbox when
    `push_allow_sandbox` is set; BadPushSetting for anything else configured."""
    for entry in settings.push_allowed_origins:
        url = URL(entry)
        host = (url.raw_host or "").lower().removeprefix("*.")
        if url.scheme != "https" or url.user is not None or not _HOSTNAME.fullmatch(host):
            raise BadPushSetting(
                f"push_allowed_origins entry {entry!r} is not an https push service"
            )
    return settings.push_origins


def check_endpoint(endpoint: str, allowed: Iterable[str]) -> URL:
    """The endpoint as a URL if it belongs to an allowed push service, else EndpointRefused.

    An https endpoint matches an origin exactly or a `https://*.domain` entry by one extra
    label; any other scheme (the local sandbox) only matches an exactly configured origin.
    Userinfo, ports the origin does not list, IP literals and odd characters are refused.
    """
    if not _URL_CHARS.fullmatch(endpoint):
        raise EndpointRefused("endpoint has characters a URL may not carry")
    try:
        url = URL(endpoint)
    except ValueError as exc:
        raise EndpointRefused(f"endpoint is not a URL: {exc}") from exc
    if url.user is not None or url.password is not None:
        raise EndpointRefused("endpoint carries userinfo")
    if not url.raw_host or not url.absolute:
        raise EndpointRefused("endpoint has no host")
    host = url.raw_host.lower()
    named = _HOSTNAME.fullmatch(host) is not None
    for entry in allowed:
        scheme, port, pattern = _origin(entry)
        if (scheme, port) != (url.scheme, url.port):
            continue
        if url.scheme == "https" and not named:
            continue
        if host == pattern:
            return url
        if pattern.startswith("*.") and url.scheme == "https":
            label, _, rest = host.partition(".")
            if label and rest == pattern[2:]:
                return url
    raise EndpointRefused(f"{url.scheme}://{url.raw_host} is not an allowed push service")


@lru_cache(maxsize=256)
def _origin(entry: str) -> tuple[str, int | None, str]:
    """An allowed origin as (scheme, port, lowercase host pattern), parsed once."""
    allowed = URL(entry)
    return allowed.scheme, allowed.port, (allowed.raw_host or "").lower()


def check_keys(p256dh: str, auth: str) -> None:
    """ValueError naming the key unless `p256dh` is a P-256 public key and `auth` a 16-byte
    secret, both base64url, as RFC 8291 has a browser make them: else no push could be
    encrypted for the subscription."""
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(p256dh))
    except (ValueError, binascii.Error):
        raise ValueError("keys.p256dh: not a base64url P-256 public key") from None
    try:
        secret = _unb64(auth)
    except (ValueError, binascii.Error):
        secret = b""
    if len(secret) != 16:
        raise ValueError("keys.auth: not a base64url 16-byte secret")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_vapid_key(text: str) -> Vapid:
    """A VAPID private key from PEM or raw base64url; BadPushSetting if it is not one."""
    key = text.strip()
    try:
        if key.startswith("-----BEGIN"):
            return Vapid.from_pem(key.encode())
        return Vapid.from_string(key)
    except (VapidException, ValueError, TypeError, binascii.Error) as exc:
        # The parser's message may quote the key: say only what is wrong.
        raise BadPushSetting("vapid_private_key is not a P-256 private key") from exc


def application_server_key(vapid: Vapid) -> str:
    """The public key browsers subscribe with (base64url, uncompressed P-256 point)."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
