"""How long each kind of message is worth sending: past its useful life it expires unsent.

An "out for delivery" text that arrives after the parcel did, or a checkout reminder hours
after the customer came back, does more harm than good. Each message has a useful life from
when the stream processor decided it (`created_at`), by template; a channel worker does not
attempt a message past it, nor schedule a retry that would come after it: the message ends as
`expired` in its delivery ledger (neither sent nor dead-lettered; `aftercart explain` shows it).
The table is in docs/decisions.md ("How long a message is worth sending"); a template not in it
lives as long as the retry window (`AFTERCART_RETRY_FOR`) lets it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from schemas.notification import NotificationRequest

USEFUL_LIFE: Final[dict[str, timedelta]] = {
    "order.placed": timedelta(hours=24),
    "order.paid": timedelta(hours=24),
    "order.cancelled": timedelta(hours=48),
    "order.refunded": timedelta(hours=48),
    "fulfillment.shipped": timedelta(hours=24),
    "fulfillment.out_for_delivery": timedelta(hours=6),
    "fulfillment.delivered": timedelta(hours=12),
    "fulfillment.delayed": timedelta(hours=12),
    "checkout.reminder": timedelta(hours=4),
    "review.request": timedelta(hours=72),
}


def useful_until(request: NotificationRequest) -> datetime | None:
    """When sending this message stops being worth it; None: no limit but the retry window."""
    life = USEFUL_LIFE.get(request.template)
    return None if life is None else request.created_at + life


def expired(request: NotificationRequest, at: datetime) -> bool:
    """Whether a message sent (or tried) at `at` would come too late to be of use."""
    until = useful_until(request)
    return until is not None and at >= until
