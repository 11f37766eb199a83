"""Follow the topics `explain` reads and keep the story in memory, for the gateway's
notifications API (ingest/routes/notifications.py): a request is answered from memory, not by
reading every topic again.

It reads the decisions, the retry topics, the delivery ledgers, the dead letters and the
receipts from their beginning (operate/sources.py says what each record tells; broker/following.py
how they are followed). Until it has read what was on the topics when it started, it says so
(`waiting`) and the API answers 503. Memory grows with the notifications the topics still
hold (their retention bounds it): about what `explain` reads, kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from broker.following import Following
from operate.explain import as_json, life_json
from operate.sources import Fold, Story, folds
from schemas.decision import DecisionRecord
from schemas.topics import Topics

CLIENT_ID = "aftercart-gateway-follow"


def order_keys(record: DecisionRecord) -> set[str]:
    """The names an order goes by: its id, its id's last part, its number."""
    keys = {record.order_id, record.order_number}
    if record.order_id:
        keys.add(record.order_id.rsplit("/", 1)[-1])
    return {key for key in keys if key}


@dataclass
class OrderStory(Story):
    """The story, with each order's decisions and each notification's decision at hand. They
    are kept as read (a parsed record takes about 7 times the memory of its JSON) and parsed
    when asked for; decisions about no order are only folded into the notifications' lives."""

    by_order: dict[str, list[bytes]] = field(default_factory=dict)
    about: dict[str, bytes] = field(default_factory=dict)

    def decided(self, value: bytes) -> None:
        record = DecisionRecord.model_validate_json(value)
        self.history.decision(record)
        for key in order_keys(record):
            self.by_order.setdefault(key, []).append(value)
        for outcome in record.channels:
            if outcome.notification_id:
                self.about[outcome.notification_id] = value

    def of_order(self, order: str) -> list[DecisionRecord]:
        """The decisions about an order named by id, id's last part or number (#1001, 1001)."""
        wanted = order.strip()
        number = wanted if wanted.startswith("#") else f"#{wanted}"
        found = {id(v): v for key in (wanted, number) for v in self.by_order.get(key, ())}
        records = [DecisionRecord.model_validate_json(v) for v in found.values()]
        # What names the order only by id (a refund held for it) belongs to it too.
        for order_id in {r.order_id for r in records if r.order_id}:
            more = [v for v in self.by_order[order_id] if id(v) not in found]
            found |= {id(v): v for v in more}
            records += [DecisionRecord.model_validate_json(v) for v in more]
        return records

    def order(self, order: str) -> dict[str, Any] | None:
        """`explain --json` for one order, with its notifications listed (None if unknown)."""
        records = self.of_order(order)
        if not records:
            return None
        found = as_json(records, order.strip(), self.history)
        ids = [o.notification_id for r in records for o in r.channels if o.notification_id]
        lives = (self.notification(n) for n in dict.fromkeys(ids))
        found["notifications"] = [life for life in lives if life is not None]
        return found

    def notification(self, notification_id: str) -> dict[str, Any] | None:
        """One notification: whom and what it was for, and its life (None if unknown)."""
        life = self.history.lives.get(notification_id)
        if life is None or not life.steps:
            return None
        value = self.about.get(notification_id)
        record = DecisionRecord.model_validate_json(value) if value else None
        return {
            "notification_id": notification_id,
            "channel": life.channel,
            "customer_id": life.customer_id,
            "event_id": life.event_id,
            "event_type": record.event_type if record else None,
            "order_id": record.order_id if record else None,
            "order_number": record.order_number if record else None,
            **life_json(life),
        }


class Follower(Following):
    """The story as the topics grow; the gateway's NotificationLookup."""

    def __init__(self, bootstrap: str, topics: Topics, *, recheck_s: float = 5.0) -> None:
        self.story = OrderStory()
        told = {topic: partial(_told, fold, self.story) for topic, fold in folds(topics).items()}
        super().__init__(
            bootstrap,
            told,
            CLIENT_ID,
            recheck_s=recheck_s,
            ready=lambda: f"{len(self.story.about)} notifications known",
        )

    def notification(self, notification_id: str) -> dict[str, Any] | None:
        """One notification's life, JSON-ready (None if nothing is known of it)."""
        with self.lock:
            return self.story.notification(notification_id)

    def order(self, order: str) -> dict[str, Any] | None:
        """`explain --json` for one order, with its notifications listed (None if unknown)."""
        with self.lock:
            return self.story.order(order)


def _told(fold: Fold, story: Story, key: bytes | None, value: bytes | None) -> None:
    if value:
        fold(story, key, value)
