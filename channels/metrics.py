"""What a channel worker counts: what became of each message, and how long each provider call
took. The registry is the worker's (runtime/metrics.py); channels/worker.py counts each
outcome, and the registry (channels/registry.py) times each provider's sender."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from channels.base import Sender
from channels.messages import Message, Receipt
from channels.outcome import Outcome

OUTCOMES = ("sent", "already_sent", "retried", "dead_lettered", "expired", "superseded")


def outcome_of(outcome: Outcome) -> str:
    """One message's outcome, as the metric names it: sent (the provider accepted it, or had
    it from an attempt whose answer was lost), already_sent (the delivery ledger says it went
    before: not sent again), retried (on the retry topic), expired (past its useful life,
    unsent) or dead_lettered."""
    if outcome.superseded:
        return "superseded"
    if outcome.skipped:
        return "already_sent"
    if outcome.receipt is not None:
        return "sent"
    if outcome.retry is not None:
        return "retried"
    if outcome.expired:
        return "expired"
    return "dead_lettered"  # the one outcome left: Outcome(dead=...)


def status_of(exc: BaseException) -> str:
    """A failed provider call's status label: the provider's code (an HTTP status, Twilio's
    error code, an SMTP reply), else the kind of failure (RetriableError for no answer)."""
    return getattr(exc, "provider_code", None) or type(exc).__name__


class ChannelMetrics:
    """One channel worker's metrics."""

    def __init__(self, registry: CollectorRegistry, channel: str) -> None:
        self.channel = channel
        notifications = Counter(
            "aftercart_notifications",
            "Notifications a channel worker handled, by channel and outcome (sent, "
            "already_sent: a delivery ledger hit, retried, dead_lettered, expired: past its useful "
            "life, unsent, superseded: a later message of its order ended it)",
            ["channel", "outcome"],
            registry=registry,
        )
        self.outcomes = {name: notifications.labels(channel, name) for name in OUTCOMES}
        self.provider_seconds = Histogram(
            "aftercart_provider_request_seconds",
            "Time one provider call took, by channel, provider and status (ok, or the error's "
            "code)",
            ["channel", "provider", "status"],
            registry=registry,
        )

    def count(self, outcome: Outcome) -> None:
        """Count what became of one message."""
        self.outcomes[outcome_of(outcome)].inc()

    def timed(self, sender: Sender[Any], provider: str) -> Sender[Any]:
        """`sender`, its every send timed under `provider`'s name."""
        return TimedSender(sender, provider, self.provider_seconds)


class TimedSender:
    """A sender whose sends are timed into a histogram, labelled with their status; lookups
    and closing pass straight through."""

    def __init__(self, inner: Sender[Any], provider: str, seconds: Histogram) -> None:
        self.inner = inner
        self.channel = inner.channel
        self.can_find = inner.can_find
        self.provider = provider
        self.seconds = seconds

    async def send(self, message: Message) -> Receipt:
        """The inner sender's one attempt, timed."""
        started = time.perf_counter()
        status = "ok"
        try:
            return await self.inner.send(message)
        except Exception as exc:
            status = status_of(exc)
            raise
        finally:
            took = time.perf_counter() - started
            self.seconds.labels(self.channel, self.provider, status).observe(took)

    async def find(self, message: Message, since: datetime) -> Receipt | None:
        """As the inner sender finds."""
        return await self.inner.find(message, since)

    async def close(self) -> None:
        """Close the inner sender."""
        await self.inner.close()
