"""Signed one-click unsubscribe links (RFC 8058): who wants no more offers, and proof of it.

The stream processor puts a link in every marketing email (and the email sender puts it in the
List-Unsubscribe header); the gateway checks the signature, in constant time, before it
switches marketing email off for that customer. The token names the customer and nothing
else a reader could use; it does not expire, as a footer link must keep working. It is signed
for the purpose "unsubscribe" (runtime/signing.py) with the newest secret, and accepted under
any secret still configured (`secrets_of`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from urllib.parse import quote

from runtime import signing
from runtime.settings import Settings

PATH = "/unsubscribe"
PURPOSE = "unsubscribe"


def secrets_of(settings: Settings) -> tuple[bytes, ...]:
    """The unsubscribe secrets, newest first: AFTERCART_UNSUBSCRIBE_SECRET, then each of
    AFTERCART_UNSUBSCRIBE_SECRETS not already named; empty when none is configured."""
    listed = [settings.unsubscribe_secret, *settings.unsubscribe_secrets]
    plain = [s.get_secret_value().encode() for s in listed if s is not None]
    return tuple(dict.fromkeys(s for s in plain if s))


def token(secret: bytes, customer_id: str) -> str:
    """customer.signature, both base64url, signed for unsubscribing only."""
    return signing.sign(PURPOSE, customer_id, secret)


def link(public_url: str, secret: bytes, customer_id: str) -> str:
    """The unsubscribe URL for a customer."""
    return f"{public_url.rstrip('/')}{PATH}?t={quote(token(secret, customer_id))}"


def customer_of(secrets: Sequence[bytes], text: str) -> str:
    """The customer a token names; ValueError if none of `secrets` signed it to unsubscribe."""
    try:
        return signing.verify(PURPOSE, text, secrets)
    except ValueError:
        pass
    try:
        return _unbound(secrets, text)
    except ValueError:
        raise ValueError("the unsubscribe link is not one of ours") from None


def _unbound(secrets: Sequence[bytes], text: str) -> str:
    """A link mailed before tokens named their purpose: HMAC over the customer id alone. Such
    an id never holds a NUL, which keeps another purpose's token (purpose, NUL, payload under
    the same secret) from passing as one."""
    who, signature = signing.split(text)
    if b"\0" in who or not any(
        hmac.compare_digest(signature, hmac.new(secret, who, hashlib.sha256).digest())
        for secret in secrets
    ):
        raise ValueError("not signed")
    return who.decode()
