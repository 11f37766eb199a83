"""Webhook signatures: base64 HMAC-SHA256 of the raw body, checked in constant time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping

from pydantic import SecretStr


def sign(body: bytes, secret: str) -> str:
    """The base64 HMAC-SHA256 of `body`, as Shopify and WooCommerce send it."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(body: bytes, signature: str | None, secrets: Iterable[str]) -> bool:
    """True when `signature` matches `body` under any of `secrets` (rotation keeps several).

    Every secret is tried, whichever matches, so the time taken does not tell which one did.
    """
    if not signature:
        return False
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    matched = False
    for secret in secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        matched |= hmac.compare_digest(expected, given)
    return matched


def secrets_by_sender(
    configured: Mapping[str, Iterable[SecretStr]], normalize: Callable[[str], str]
) -> dict[str, list[str]]:
    """Each sender's secrets (several while one is rotated), under its name as requests give it."""
    return {normalize(k): [s.get_secret_value() for s in v] for k, v in configured.items()}
