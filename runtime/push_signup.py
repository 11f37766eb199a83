"""Signed customer ids for web push sign-up: which customer a browser subscribes for, and
until when the shop vouches for it.

The shop's backend signs the id of the customer who is logged in and puts the token in its
page; the page's subscribe script (served by the gateway) sends it along with the browser's
subscription, and the gateway checks it, in constant time, before anything is published. A
page can only sign up the customer its shop vouched for, and a token that leaked stops
working when it expires. The construction is plain HMAC-SHA256 so that a shop's backend in
any language can make it (README, "Web push sign-up"):

    token = b64url(customer_id) "." expires "." b64url(HMAC-SHA256(secret, message))
    message = "aftercart push sign-up\\n" customer_id "\\n" expires

`expires` is in Unix seconds; base64url without padding. The first line of the message keeps a
token of another use of the same secret from passing as this one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from datetime import UTC, datetime

PURPOSE = b"aftercart push sign-up\n"
# How long a token holds when the shop does not say: a page a customer left open for a day
# still signs up.
DEFAULT_VALID_S = 24 * 3600
_EXPIRES = re.compile(r"[0-9]{1,12}")


class SignupRefused(ValueError):
    """A token the gateway does not take; the message says why, for the shop's developer."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, who: bytes, expires: str) -> bytes:
    return hmac.new(secret, PURPOSE + who + b"\n" + expires.encode(), hashlib.sha256).digest()


def token(secret: bytes, customer_id: str, expires: int) -> str:
    """The token vouching for `customer_id` until `expires` (Unix seconds)."""
    if not customer_id or not secret:
        raise ValueError("a push sign-up token needs a customer id and a secret")
    who = customer_id.encode()
    signature = _signature(secret, who, str(expires))
    return f"{_b64(who)}.{expires}.{_b64(signature)}"


def customer_of(secret: bytes, text: str, now: float) -> str:
    """The customer a token vouches for; SignupRefused if it is malformed, not signed with
    `secret` (or changed since) or expired."""
    parts = text.strip().split(".")
    if len(parts) != 3 or not _EXPIRES.fullmatch(parts[1]):
        raise SignupRefused("not a push sign-up token (expected customer.expires.signature)")
    who_b64, expires, signature_b64 = parts
    try:
        who, signature = _unb64(who_b64), _unb64(signature_b64)
        customer = who.decode()
    except (ValueError, binascii.Error):  # UnicodeDecodeError is a ValueError
        raise SignupRefused("not a push sign-up token (bad base64url)") from None
    if not who or not hmac.compare_digest(signature, _signature(secret, who, expires)):
        raise SignupRefused(
            "the push sign-up token is not signed with this gateway's secret, or was changed"
        )
    if int(expires) <= now:
        at = datetime.fromtimestamp(int(expires), UTC).isoformat(timespec="seconds")
        raise SignupRefused(f"the push sign-up token expired at {at}; reload the page")
    return customer
