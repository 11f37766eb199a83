"""The channel-agnostic notification request the stream processor emits per channel."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from schemas.common import Channel, Contract, Id, Language, PushSubscription

_NAMESPACE = uuid.UUID("6f1d4c2e-6a52-4f0e-9a57-0c1bd3f1a7c5")


def notification_id(event_id: str, channel: str, template: str) -> str:
    """Deterministic id: the same event, channel and template always give the same id."""
    return str(uuid.uuid5(_NAMESPACE, f"{event_id}|{channel}|{template}"))


class Recipient(Contract):
    """Where the message goes: exactly the contact point of its channel."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    push: PushSubscription | None = None


class NotificationRequest(Contract):
    """One message to one customer on one channel, with everything needed to render it."""

    notification_id: Id
    channel: Channel
    template: Id
    language: Language
    customer_id: Id
    event_id: Id
    event_type: Id
    event_time: datetime
    recipient: Recipient
    data: dict[str, Any]
    created_at: datetime
