"""What the stream processor decided about an event, per channel: the record behind `explain`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from schemas.common import Channel, Contract, Id

Outcome = Literal["sent", "suppressed", "deferred", "cancelled", "waiting", "dropped"]


class ChannelOutcome(Contract):
    """One channel's outcome for one event."""

    channel: Channel
    outcome: Outcome
    reason: str | None = None
    notification_id: Id | None = None
    until: datetime | None = None


class DecisionRecord(Contract):
    """Everything decided about one event or scheduled message; keyed by customer (by order
    while it waits). event_type names the message for a scheduled one (review.request,
    checkout.reminder, or an event's message fired after its wait), and event_time is when
    it was decided."""

    at: datetime
    event_id: Id
    event_type: str
    event_time: datetime
    customer_id: Id | None = None
    order_id: Id | None = None
    order_number: str | None = None
    outcome: Outcome | None = None
    reason: str | None = None
    until: datetime | None = None
    channels: tuple[ChannelOutcome, ...] = ()
    replay: Id | None = None  # decided again by a replay (schemas/replay.py), its id
