"""Signed one-click unsubscribe links (RFC 8058): who wants no more offers, and proof of it.

The stream processor puts a link in every marketing email (and the email sender puts it in the
List-Unsubscribe header); the gateway checks the signature, in constant time, before it
switches marketing email off for that customer. The token names the customer and nothing
else a reader could use; it does not expire, as a footer link must keep working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

PATH = "/unsubscribe"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token(secret: bytes, customer_id: str) -> str:
    """customer.signature, both base64url."""
    who = customer_id.encode()
    return f"{_b64(who)}.{_b64(hmac.new(secret, who, hashlib.sha256).digest())}"


def link(public_url: str, secret: bytes, customer_id: str) -> str:
    """The unsubscribe URL for a customer."""
    return f"{public_url.rstrip('/')}{PATH}?t={quote(token(secret, customer_id))}"


def customer_of(secret: bytes, text: str) -> str:
    """The customer a token names; ValueError if it is not one we signed."""
    who_b64, _, signature_b64 = text.strip().partition(".")
    try:
        who, signature = _unb64(who_b64), _unb64(signature_b64)
    except (ValueError, TypeError):
        raise ValueError("not an unsubscribe token") from None
    expected = hmac.new(secret, who, hashlib.sha256).digest()
    if not who or not hmac.compare_digest(signature, expected):
        raise ValueError("the unsubscribe link is not one of ours")
    try:
        return who.decode()
    except UnicodeDecodeError:
        raise ValueError("not an unsubscribe token") from None
