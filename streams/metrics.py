"""What the stream processor counts: events by type, decisions by channel, outcome and reason
class, and messages it could not read. The registry is the worker's (runtime/metrics.py).

A decision's reason is a sentence for people (`aftercart explain`); a metric's label must be
one of a few values, so each sentence is classed by the words streams/ writes into it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache

from faust.types import EventT
from prometheus_client import CollectorRegistry, Counter

from schemas.decision import DecisionRecord
from schemas.events import CloudEvent
from streams.rejects import Reject

# First match wins: "by email instead (SMS: no mobile number)" is a fallback, not a missing
# number. The sentences come from streams/decide.py, lifecycle.py and records.py.
REASON_CLASSES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), name)
    for pattern, name in (
        (r"^by email instead", "fallback_to_email"),
        (r"^by ", "cancelled_by_news"),
        (r"switched off", "switched_off"),
        (r"^no consent", "no_consent"),
        (r"was not chosen", "not_chosen"),
        (r"^no (email address|mobile number|push subscription)$", "no_contact"),
        (r"cannot be used|cannot take texts", "contact_unusable"),
        (r"^quiet hours", "quiet_hours"),
        (r"offer or reminder by .* per ", "marketing_cap"),
        (r"after delivery$", "review_wait"),
        (r"h after the checkout was left$", "reminder_wait"),
        (r"^stale", "stale"),
        (r"^not a message for the customer", "no_message"),
    )
)
NONE = "none"  # no reason given (a message sent as chosen); also the channel of a whole event


@lru_cache(maxsize=4096)  # the same few sentences come again and again, on the hot path
def reason_class(reason: str | None) -> str:
    """The class of a decision's reason: one of REASON_CLASSES' names, `none`, or `other`."""
    if not reason:
        return NONE
    return next((name for pattern, name in REASON_CLASSES if pattern.search(reason)), "other")


def decision_labels(record: DecisionRecord) -> list[tuple[str, str, str]]:
    """(channel, outcome, reason class) of each channel's outcome in a decision record, or of
    the whole event's when it has one (channel `none`)."""
    labels: list[tuple[str, str, str]] = [
        (c.channel, c.outcome, reason_class(c.reason)) for c in record.channels
    ]
    if record.outcome is not None:
        labels.append((NONE, record.outcome, reason_class(record.reason)))
    return labels


class StreamMetrics:
    """The stream processor's metrics."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.events = Counter(
            "aftercart_stream_events",
            "Events the stream processor read, by type",
            ["type"],
            registry=registry,
        )
        self.decisions = Counter(
            "aftercart_stream_decisions",
            "Decisions recorded, by channel (none: about the whole event), outcome and reason "
            "class",
            ["channel", "outcome", "reason"],
            registry=registry,
        )
        self.rejected = Counter(
            "aftercart_stream_dead_letters",
            "Messages the stream processor could not read or resolve, dead-lettered, by topic",
            ["topic"],
            registry=registry,
        )

    def reading(self, read: Callable[..., CloudEvent]) -> Callable[..., CloudEvent]:
        """`read`, each event it reads counted by type."""

        def counted(value: bytes, received: datetime | None = None) -> CloudEvent:
            event = read(value, received)
            self.events.labels(event.type).inc()
            return event

        return counted

    def decided(self, records: Iterable[DecisionRecord]) -> None:
        """Count the decisions recorded about one input."""
        for record in records:
            for labels in decision_labels(record):
                self.decisions.labels(*labels).inc()

    def counting(self, reject: Reject) -> Reject:
        """`reject`, each message it dead-letters counted."""

        async def counted(message: EventT, reason: str) -> None:
            self.rejected.labels(message.message.topic).inc()
            await reject(message, reason)

        return counted
