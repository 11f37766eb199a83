"""Every Kafka topic aftercart uses, declared once: name, partitions, cleanup, retention."""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 60 * 60 * 1000
CHANNELS = ("email", "sms", "push")


@dataclass(frozen=True)
class TopicSpec:
    """One topic as it must exist on the broker."""

    name: str
    partitions: int
    compacted: bool = False
    retention_ms: int = 7 * DAY_MS

    def configs(self) -> dict[str, str]:
        """Topic-level broker configs."""
        if self.compacted:
            return {"cleanup.policy": "compact"}
        return {"cleanup.policy": "delete", "retention.ms": str(self.retention_ms)}


@dataclass(frozen=True)
class Topics:
    """Topic names for one deployment, derived from a prefix."""

    prefix: str = "aftercart"
    partitions: int = 4

    @property
    def events(self) -> str:
        """Shop events in, CloudEvents JSON, keyed by customer id (order id if no customer)."""
        return f"{self.prefix}.events"

    @property
    def orders(self) -> str:
        """Orders placed, and order events still missing their customer, keyed by order id."""
        return f"{self.prefix}.orders"

    def notify(self, channel: str) -> str:
        """Notification requests for one channel, keyed by customer id."""
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}; known: {', '.join(CHANNELS)}")
        return f"{self.prefix}.notify.{channel}"

    def retry(self, channel: str) -> str:
        """Requests of one channel waiting for their next attempt (schemas/retry.py), keyed by
        customer id like notify(channel) and written to the same partition: co-partitioned
        with it and with the channel worker's ledger."""
        self.notify(channel)  # the same channels, the same check
        return f"{self.prefix}.retry.{channel}"

    @property
    def wakeups(self) -> str:
        """Internal: "this customer has scheduled messages due", keyed by customer (the stream
        processor's timer writes it; co-partitioned with events)."""
        return f"{self.prefix}.wakeups"

    @property
    def purchases(self) -> str:
        """Internal: one record per product of each order placed, keyed by SKU, for the
        bought-together counts."""
        return f"{self.prefix}.purchases"

    @property
    def decisions(self) -> str:
        """What was decided about each event and why (aftercart explain), keyed by customer."""
        return f"{self.prefix}.decisions"

    @property
    def receipts(self) -> str:
        """Delivery receipts from SendGrid and Twilio, keyed by customer (schemas/receipt.py)."""
        return f"{self.prefix}.receipts"

    @property
    def deadletter(self) -> str:
        """Anything that could not be processed: reason plus the original bytes."""
        return f"{self.prefix}.deadletter"

    @property
    def redriven(self) -> str:
        """Which dead letters were put back (operate/redrive.py): compacted, keyed by the dead
        letter's PARTITION:OFFSET, valued by when, by whom and where to."""
        return f"{self.prefix}.deadletter.redriven"

    @property
    def streams_app_id(self) -> str:
        """Faust app id (consumer group) of the stream processor."""
        return f"{self.prefix}-streams"

    def channel_app_id(self, channel: str) -> str:
        """Faust app id (consumer group) of one channel worker."""
        return f"{self.prefix}-channel-{channel}"

    def changelog(self, table: str) -> str:
        """Faust's changelog topic name for a table of the stream processor."""
        return f"{self.streams_app_id}-{table}-changelog"

    def ledger(self, channel: str) -> str:
        """The changelog of a channel worker's delivery ledger (channels/ledger.py)."""
        return f"{self.channel_app_id(channel)}-ledger-changelog"

    def all(self) -> list[TopicSpec]:
        """Every topic, created before any worker starts."""
        p = self.partitions
        specs = [TopicSpec(self.events, p), TopicSpec(self.orders, p)]
        specs += [TopicSpec(self.wakeups, p, retention_ms=DAY_MS), TopicSpec(self.purchases, p)]
        specs += [TopicSpec(self.deadletter, p, retention_ms=30 * DAY_MS)]
        specs += [TopicSpec(self.redriven, p, compacted=True)]
        specs += [TopicSpec(self.decisions, p, retention_ms=90 * DAY_MS)]
        specs += [TopicSpec(self.receipts, p, retention_ms=90 * DAY_MS)]
        specs += [TopicSpec(self.notify(c), p) for c in CHANNELS]
        specs += [TopicSpec(self.retry(c), p) for c in CHANNELS]
        specs += [TopicSpec(self.changelog(t), p, compacted=True) for t in TABLES]
        specs += [TopicSpec(self.ledger(c), p, compacted=True) for c in CHANNELS]
        return specs


# Tables of the stream processor, each backed by a compacted changelog topic.
TABLES = ("orders", "customers", "preferences", "plans", "together")
