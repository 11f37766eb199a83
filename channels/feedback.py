"""What a permanent failure says about the customer's contact point, as a `contact.failed` event.

A provider that refuses a message because of the contact point itself (the customer texted
STOP, the number takes no texts, the push subscription is gone) will refuse every later
message there too. The channel worker publishes this event, keyed by customer, so the stream
processor stops using the contact point (streams/profiles.py `apply_contact_failed`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from channels.errors import ContactUnusable, PermanentError
from schemas.codec import new_event
from schemas.events import CloudEvent
from schemas.notification import NotificationRequest

_NAMESPACE = uuid.UUID("0b6f3e55-3c1d-4d8e-9a0c-5f1e2d7c4b19")
MAX_REASON = 500


def contact_failure(
    request: NotificationRequest, error: PermanentError, *, at: datetime | None = None
) -> CloudEvent | None:
    """The `contact.failed` event for a failure that condemns the contact point, else None.

    Its id depends only on the notification and the action, so a redelivered request that
    fails again gives the same event.
    """
    if not isinstance(error, ContactUnusable) or error.channel != request.channel:
        return None
    address = _address(request)
    if not address:
        return None
    data = {
        "customer_id": request.customer_id,
        "channel": request.channel,
        "action": error.action,
        "address": address,
        "reason": str(error)[:MAX_REASON],
    }
    event_id = str(uuid.uuid5(_NAMESPACE, f"{request.notification_id}|{error.action}"))
    source = f"aftercart/channel-{request.channel}"
    return new_event("contact.failed", data, source=source, event_id=event_id, time=at)


def _address(request: NotificationRequest) -> str | None:
    """The contact point the failed message went to."""
    recipient = request.recipient
    if request.channel == "sms":
        return recipient.phone
    if request.channel == "push":
        return recipient.push.endpoint if recipient.push else None
    return recipient.email
