"""Signed tokens for links that must prove who they are about: one signer, many purposes.

A token is `payload.signature`, both base64url without padding; the signature is
HMAC-SHA256 over the purpose, a NUL and the payload, so a token signed for one purpose (an
unsubscribe link) is refused for any other (a preference centre's link), even under the same
secret. Secrets rotate: tokens are signed with the newest and checked against every secret
still listed, so links already sent keep working until their secret is dropped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(purpose: str, payload: bytes, secret: bytes) -> bytes:
    if not purpose or "\0" in purpose:
        raise ValueError("a purpose is a non-empty name without NUL")
    return hmac.new(secret, purpose.encode() + b"\0" + payload, hashlib.sha256).digest()


def sign(purpose: str, payload: str, secret: bytes) -> str:
    """A token for `payload`, good for `purpose` only; sign with the newest secret."""
    raw = payload.encode()
    return f"{_b64(raw)}.{_b64(_mac(purpose, raw, secret))}"


def split(token: str) -> tuple[bytes, bytes]:
    """The payload and signature bytes of a token's shape; ValueError if it has none."""
    payload_b64, dot, signature_b64 = token.strip().partition(".")
    try:
        payload, signature = _unb64(payload_b64), _unb64(signature_b64)
    except (ValueError, TypeError):
        raise ValueError("not a signed token") from None
    if not dot or not payload or not signature:
        raise ValueError("not a signed token")
    return payload, signature


def verify(purpose: str, token: str, secrets: Sequence[bytes]) -> str:
    """The payload of a token signed for `purpose` with any of `secrets` (newest first);
    ValueError if none signed it, in constant time per secret."""
    payload, signature = split(token)
    if not any(
        hmac.compare_digest(signature, _mac(purpose, payload, secret)) for secret in secrets
    ):
        raise ValueError("the signature is not one of ours")
    try:
        return payload.decode()
    except UnicodeDecodeError:
        raise ValueError("not a signed token") from None
