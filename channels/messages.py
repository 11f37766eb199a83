"""Rendered, provider-neutral messages a sender delivers, and the receipt it gives back."""

from __future__ import annotations

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

    def __post_init__(self) -> None:
        # TTL 0 tells the push service to drop the message when the browser is offline.
        if self.ttl < 1:
            raise ValueError(f"push ttl must be at least 1 second, got {self.ttl}")


Message = EmailMessage | SmsMessage | PushMessage


@dataclass(frozen=True, slots=True)
class Receipt:
    """The provider accepted the message; `provider_id` matches its later delivery callbacks."""

    channel: Channel
    notification_id: str
    provider_id: str | None
