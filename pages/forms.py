"""What every page shares: CSRF tokens for its forms, and the headers that keep a page to
itself (nothing fetched from elsewhere, no framing, no referrer carrying a signed link away,
nothing cached).

A CSRF token binds a form to the page it was shown on (`bound_to`, e.g. the preference
link) and to the time it was shown: signed for the purpose "form" (runtime/signing.py), it
is good for `FORM_VALID` and for that page only.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime, timedelta

from runtime import signing

PURPOSE = "form"
FORM_VALID = timedelta(hours=2)
CSS = "/assets/pages.css"
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
        b"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
)
# A page that shows an email as sent, in a sandboxed srcdoc frame, which inherits the page's
# policy: emails style themselves inline, so those pages allow inline styles (never scripts,
# and still nothing from anywhere but the gateway).
EMAIL_HEADERS = tuple(
    (name, value.replace(b"style-src 'self'", b"style-src 'self' 'unsafe-inline'"))
    for name, value in HEADERS
)


def _page_id(bound_to: str) -> str:
    return hashlib.sha256(bound_to.encode()).hexdigest()[:32]


def csrf_token(secret: bytes, bound_to: str, now: datetime) -> str:
    """A token for one form shown now on the page `bound_to` names."""
    return signing.sign(PURPOSE, f"{_page_id(bound_to)}\n{int(now.timestamp())}", secret)


def csrf_ok(secrets: Sequence[bytes], token: str, bound_to: str, now: datetime) -> bool:
    """Whether a form's token was made for this page within FORM_VALID (constant time)."""
    try:
        payload = signing.verify(PURPOSE, token, secrets)
    except ValueError:
        return False
    page, _, shown_at = payload.partition("\n")
    if not shown_at.isdigit():
        return False
    age = now.timestamp() - int(shown_at)
    fresh = -60 <= age <= FORM_VALID.total_seconds()
    return hmac.compare_digest(page, _page_id(bound_to)) and fresh
