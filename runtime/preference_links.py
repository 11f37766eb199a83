"""Signed links to a customer's preference center: `<public URL>/preferences/<token>`.

The token names the customer and the day the link stops working, and is signed for the
purpose "preferences" (runtime/signing.py) with the newest preferences secret; any secret
still configured is accepted, so links already mailed survive a rotation until their secret
is dropped. The gateway checks it in constant time before it shows or changes anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from runtime import signing
from runtime.settings import Settings

PATH = "/preferences/"
PURPOSE = "preferences"


class LinkRefused(ValueError):
    """A token the preference center does not take; `expired` tells the two cases apart."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.expired = expired


def secrets_of(settings: Settings) -> tuple[bytes, ...]:
    """The preferences secrets, newest first; empty when none is configured."""
    listed = [settings.preferences_secret, *settings.preferences_secrets]
    plain = [s.get_secret_value().encode() for s in listed if s is not None]
    return tuple(dict.fromkeys(s for s in plain if s))


def expiry(now: datetime, days: int) -> int:
    """When a link made now stops working: the end of the day `days` on (Unix seconds), so
    every link made on one day is the same link."""
    day = (now.astimezone(UTC) + timedelta(days=days + 1)).date()
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def token(secret: bytes, customer_id: str, expires: int) -> str:
    """The token for `customer_id`, good until `expires` (Unix seconds)."""
    if not customer_id or "\n" in customer_id:
        raise ValueError("a preference link needs a customer id on one line")
    return signing.sign(PURPOSE, f"{customer_id}\n{expires}", secret)


def link(public_url: str, secret: bytes, days: int, customer_id: str, now: datetime) -> str:
    """The preference center URL for a customer, made now."""
    made = token(secret, customer_id, expiry(now, days))
    return f"{public_url.rstrip('/')}{PATH}{made}"


def customer_of(secrets: Sequence[bytes], text: str, now: datetime) -> str:
    """The customer a token names; LinkRefused if no secret signed it for this purpose, or
    if it has expired."""
    try:
        payload = signing.verify(PURPOSE, text, secrets)
    except ValueError:
        raise LinkRefused("the preference link is not one of ours") from None
    customer, _, expires = payload.rpartition("\n")
    if not customer or not expires.isdigit():
        raise LinkRefused("the preference link is not one of ours")
    if int(expires) <= now.timestamp():
        raise LinkRefused("the preference link has expired", expired=True)
    return customer
