"""Replay: put a topic's selected records back into the pipeline, safely.

Each record goes back to the topic and partition it was read from, with its own key (one
customer's records stay in order) and an `aftercart-replay` header (which replay, who, when,
what was selected). Replayed events are decided again by the stream processor with what it
knows now, without counting them into profiles twice; replayed notifications are delivered as
they were decided. Either way the channel workers' delivery ledgers decide: a notification
already sent is not sent again, and is recorded as suppressed by the replay. `--resend` gives
each message a new id that points at the original (schemas/notification.py `resend_id`).
Nothing a customer has switched off since is sent: events are decided with today's
preferences, and a replayed notification the customer no longer wants is not put back.

The judge says, for a dry run and for the summary, what each record will come to: sent,
already sent, or suppressed and why, with the same pure decisions the stream processor makes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from channels.ledger import is_sent
from operate.selection import Source
from operate.state import Known
from schemas.codec import InvalidMessage, decode_event, decode_notification, encode
from schemas.notification import NotificationRequest
from streams.decide import category_of, paused, switch
from streams.handle import Context, on_event
from streams.news import news_of
from streams.policy import Policy

HEADER = "aftercart-replay"


@dataclass
class Tally:
    """What a replay read, selected and put back, and what its messages come to."""

    read: int = 0
    selected: int = 0
    published: int = 0
    would_send: int = 0
    already_sent: int = 0
    deferred: int = 0
    suppressed: Counter[str] = field(default_factory=Counter)
    by_channel: dict[str, Counter[str]] = field(default_factory=dict)
    shown: list[NotificationRequest] = field(default_factory=list)

    def count(self, channel: str, what: str, reason: str | None = None) -> None:
        """One message of a channel: would_send, already_sent, deferred (sent later: quiet
        hours, the marketing cap) or suppressed (with why)."""
        self.by_channel.setdefault(channel, Counter())[what] += 1
        if what == "would_send":
            self.would_send += 1
        elif what == "already_sent":
            self.already_sent += 1
        elif what == "deferred":
            self.deferred += 1
        else:
            self.suppressed[reason or "unknown"] += 1

    def as_json(self) -> dict[str, Any]:
        """The summary object `--json` prints."""
        return {
            "read": self.read,
            "selected": self.selected,
            "published": self.published,
            "would_send": self.would_send,
            "already_sent": self.already_sent,
            "deferred": self.deferred,
            "suppressed": dict(self.suppressed),
            "by_channel": {c: dict(n) for c, n in sorted(self.by_channel.items())},
        }


@dataclass
class Judge:
    """Decides, as the pipeline will, what each replayed record comes to."""

    source: Source
    known: Known
    policy: Policy
    now: datetime
    resend: str | None = None
    show: int = 0

    def notification(self, value: bytes, tally: Tally) -> bytes | None:
        """A replayed notification: the bytes to put back, or None when the customer no
        longer wants it (or it cannot be read: the worker would dead-letter it again)."""
        try:
            request = decode_notification(value)
        except InvalidMessage as exc:
            tally.count(self.source.channel or "unknown", "suppressed", f"unreadable: {exc.reason}")
            return None
        category = category_of(request.template) or "marketing"
        prefs = self.known.preferences.get(request.customer_id)
        profile = self.known.customers.get(request.customer_id) or {}
        news = news_of(request.template)
        on, why_not, _ = switch(prefs, profile, category, request.channel, news)
        if on and category == "marketing":
            why_not = paused(prefs, self.now)
            on = why_not is None
        if not on:
            tally.count(request.channel, "suppressed", why_not)
            return None
        if self.resend is not None:
            request = request.resent(self.resend)
            value = encode(request)
        self._judge(request, tally)
        return value

    def event(self, value: bytes, tally: Tally) -> None:
        """A replayed event: what the stream processor will decide with what it knows now."""
        try:
            event = decode_event(value)
        except InvalidMessage as exc:
            tally.suppressed[f"unreadable: {exc.reason}"] += 1
            return
        key = event.partitionkey
        known = self.known
        ctx = Context(known.customers.get(key), known.preferences.get(key), self.policy, self.now)
        outcome = on_event(event, known.plans.get(key), ctx)
        for record in outcome.records:
            for channel in record.channels:
                if channel.outcome == "suppressed":
                    tally.count(channel.channel, "suppressed", channel.reason)
                elif channel.outcome == "deferred":
                    tally.count(
                        channel.channel, "suppressed", "deferred: " + (channel.reason or "")
                    )
            if record.outcome in ("suppressed", "cancelled"):
                tally.suppressed[f"{record.outcome}: {record.reason}"] += 1
        for request in outcome.requests:
            self._judge(request.resent(self.resend) if self.resend else request, tally)

    def _judge(self, request: NotificationRequest, tally: Tally) -> None:
        ledger = self.known.ledgers.get(request.channel, {})
        if is_sent(ledger.get(request.notification_id)):
            tally.count(request.channel, "already_sent")
            return
        tally.count(request.channel, "would_send")
        if len(tally.shown) < self.show:
            tally.shown.append(request)
