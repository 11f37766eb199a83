"""Rendered, provider-neutral messages a sender delivers, and the receipt it gives back."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from dataclasses import dataclass

from schemas.common import Channel, PushSubscription


@dataclass(frozen=True, slots=True)
class EmailMessage:
    """One email to one address, with plain-text and HTML bodies."""

    notification_id: str
    to: str
    to_name: str | None
    subject: str
    text: str
    html: str
    customer_id: str = ""  # comes back with the provider's delivery receipts
    unsubscribe_url: str | None = None  # marketing: List-Unsubscribe, one click (RFC 8058)

    def message_id(self, sender: str) -> str:
        """`<notification id@sender's domain>`: the same notification always gets the same
        Message-ID, so a mail client or server that sees a second copy can tell it is one."""
        local = self.notification_id
        if not _DOT_ATOM.fullmatch(local):  # RFC 5322's id-left; UUIDs always fit
            local = hashlib.sha256(local.encode()).hexdigest()[:32]
        domain = sender.rpartition("@")[2] or "localhost"
        return f"<{local}@{domain}>"


@dataclass(frozen=True, slots=True)
class SmsMessage:
    """One SMS to one phone number (E.164)."""

    notification_id: str
    to: str
    body: str
    customer_id: str = ""  # comes back with the provider's delivery receipts


@dataclass(frozen=True, slots=True)
class PushMessage:
    """One web push to one browser subscription; `payload` is the JSON the service worker reads."""

    notification_id: str
    subscription: PushSubscription
    payload: bytes
    ttl: int

    @property
    def topic(self) -> str:
        """The RFC 8030 Topic for this notification: a push service replaces a message still
        waiting for the browser with a newer one of the same topic, so a second send of it is
        not shown twice. At most 32 characters of base64url (RFC 8030 section 5.4): a UUID's
        16 bytes (22 characters), else the first 24 bytes of the id's SHA-256 (32)."""
        try:
            raw = uuid.UUID(self.notification_id).bytes
        except ValueError:
            raw = hashlib.sha256(self.notification_id.encode()).digest()[:24]
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def __post_init__(self) -> None:
        # TTL 0 tells the push service to drop the message when the browser is offline.
        if self.ttl < 1:
            raise ValueError(f"push ttl must be at least 1 second, got {self.ttl}")


# Dot-separated atoms of letters, digits and the few symbols every mail system keeps as they are.
_DOT_ATOM = re.compile(r"[A-Za-z0-9_+=-]+(\.[A-Za-z0-9_+=-]+)*")

Message = EmailMessage | SmsMessage | PushMessage


@dataclass(frozen=True, slots=True)
class Receipt:
    """The provider accepted the message; `provider_id` matches its later delivery callbacks."""

    channel: Channel
    notification_id: str
    provider_id: str | None
