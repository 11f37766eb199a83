"""The records behind `aftercart explain`: what was decided about an event or message, and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas.decision import ChannelOutcome, DecisionRecord, Outcome
from schemas.events import CloudEvent
from streams.decide import Decision


def decision_record(
    event: CloudEvent, decisions: list[Decision], now: datetime, *, message: str | None = None
) -> DecisionRecord:
    """Per channel: sent, deferred (until when, why) or not sent (why). `message` names a
    scheduled message (review.request) or an event's message fired after waiting."""
    channels = tuple(_outcome(d) for d in decisions)
    if channels:
        return _record(event, now, message, channels=channels)
    reason = "not a message for the customer (it updates what we know)"
    return _record(event, now, message, outcome="suppressed", reason=reason)


def held_record(
    event: CloudEvent,
    outcome: Outcome,
    reason: str | None,
    now: datetime,
    *,
    message: str | None = None,
    until: datetime | None = None,
) -> DecisionRecord:
    """A record with one outcome for the whole event or message: held back before any
    channel was considered, stale, scheduled for later, or cancelled."""
    return _record(event, now, message, outcome=outcome, reason=reason, until=until)


def _outcome(d: Decision) -> ChannelOutcome:
    if d.request is not None:
        return ChannelOutcome(
            channel=d.channel, outcome="sent", reason=d.note, notification_id=d.notification_id
        )
    if d.deferred is not None:
        return ChannelOutcome(
            channel=d.channel,
            outcome="deferred",
            reason=d.note,
            until=d.deferred,
            notification_id=d.notification_id,
        )
    return ChannelOutcome(channel=d.channel, outcome="suppressed", reason=d.suppressed)


def _record(
    event: CloudEvent, now: datetime, message: str | None, **outcome: Any
) -> DecisionRecord:
    data = event.data  # type: ignore[attr-defined]
    return DecisionRecord(
        at=now,
        event_id=event.id,
        event_type=message or event.type,
        event_time=now if message else event.time,
        customer_id=getattr(data, "customer_id", None),
        order_id=getattr(data, "order_id", None),
        order_number=getattr(data, "order_number", None),
        **outcome,
    )
