"""A replayed notification that its ledger has as sent: not sent again, and the replay's
suppression recorded on the decisions topic, where `aftercart explain` tells it."""

from __future__ import annotations

from datetime import datetime

from schemas.decision import ChannelOutcome, DecisionRecord
from schemas.notification import NotificationRequest
from schemas.replay import ReplayNote


def suppressed_by_replay(
    request: NotificationRequest, note: ReplayNote, now: datetime
) -> DecisionRecord:
    """The decision record: this channel's message of this event, suppressed by the replay."""
    found = request.data.get("event")
    event = found if isinstance(found, dict) else {}
    reason = f"already sent; replay {note.id} by {note.by} sent nothing again"
    outcome = ChannelOutcome(
        channel=request.channel,
        outcome="suppressed",
        reason=reason,
        notification_id=request.notification_id,
    )
    return DecisionRecord(
        at=now,
        event_id=request.event_id,
        event_type=request.template,
        event_time=request.event_time,
        customer_id=request.customer_id,
        order_id=event.get("order_id"),
        order_number=event.get("order_number"),
        outcome="suppressed",
        reason=reason,
        channels=(outcome,),
        replay=note.id,
    )
