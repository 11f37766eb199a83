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


def resend_id(original: str, tag: str) -> str:
    """The id of a message sent again on an operator's request (`aftercart replay --resend`):
    the same original and tag always give the same id, so a repeated replay sends it once."""
    return str(uuid.uuid5(_NAMESPACE, f"resend|{original}|{tag}"))


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
    resend_of: Id | None = None  # the notification this one sends again (replay --resend)
    # A test send (`aftercart send-test`): what the recipient sees is marked as a test.
    test: bool = False

    def resent(self, tag: str) -> NotificationRequest:
        """This message again, under a new id that points at this one."""
        original = self.resend_of or self.notification_id
        update = {"notification_id": resend_id(original, tag), "resend_of": original}
        return self.model_copy(update=update)
