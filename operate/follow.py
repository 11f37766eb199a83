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
from datetime import datetime
from functools import partial
from typing import Any

from broker.following import Following
from operate.activity import Activity, activity
from operate.explain import as_json, life_json
from operate.sources import Fold, Story, folds
from schemas.codec import InvalidMessage, decode_notification
from schemas.decision import DecisionRecord
from schemas.topics import CHANNELS, Topics

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
    by_customer: dict[str, list[bytes]] = field(default_factory=dict)
    about: dict[str, bytes] = field(default_factory=dict)
    # The notification requests themselves (the console shows each message as rendered),
    # the newest `keep` of them, when the notify topics are followed too.
    requests: dict[str, bytes] = field(default_factory=dict)
    keep: int = 50_000

    def decided(self, value: bytes) -> None:
        record = DecisionRecord.model_validate_json(value)
        self.history.decision(record)
        for key in order_keys(record):
            self.by_order.setdefault(key, []).append(value)
        if record.customer_id:
            self.by_customer.setdefault(record.customer_id, []).append(value)
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

    def request(self, notification_id: str, value: bytes) -> None:
        """A notification request as the stream processor published it."""
        self.requests.pop(notification_id, None)
        self.requests[notification_id] = value
        while len(self.requests) > self.keep:
            del self.requests[next(iter(self.requests))]

    def of_customer(self, customer_id: str) -> list[DecisionRecord]:
        """Every decision about a customer."""
        values = self.by_customer.get(customer_id.strip(), ())
        return [DecisionRecord.model_validate_json(v) for v in values]

    def order(self, order: str) -> dict[str, Any] | None:
        """`explain --json` for one order, with its notifications listed (None if unknown)."""
        return self._with_notifications(self.of_order(order), order.strip())

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        """`explain --json` for one customer, with their notifications (None if unknown)."""
        return self._with_notifications(self.of_customer(customer_id), customer_id.strip())

    def kept_request(self, notification_id: str) -> bytes | None:
        """The request of a notification, if it is among those kept."""
        return self.requests.get(notification_id)

    def _with_notifications(
        self, records: list[DecisionRecord], subject: str
    ) -> dict[str, Any] | None:
        if not records:
            return None
        found = as_json(records, subject, self.history)
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

    def __init__(
        self,
        bootstrap: str,
        topics: Topics,
        *,
        recheck_s: float = 5.0,
        requests: bool = False,
    ) -> None:
        """`requests`: follow the notify topics too, keeping the requests (the console's)."""
        self.story = OrderStory()
        told = {topic: partial(_told, fold, self.story) for topic, fold in folds(topics).items()}
        if requests:
            told |= {topics.notify(c): partial(_kept, self.story) for c in CHANNELS}
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

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        """`explain --json` for one customer, with their notifications (None if unknown)."""
        with self.lock:
            return self.story.customer(customer_id)

    def request(self, notification_id: str) -> bytes | None:
        """A notification's request, when the notify topics are followed and it is kept."""
        with self.lock:
            return self.story.kept_request(notification_id)

    def activity(self, now: datetime, minutes: int = 60) -> Activity:
        """What the pipeline did in the last `minutes` minutes (operate/activity.py)."""
        with self.lock:
            return activity(list(self.story.history.lives.values()), now, minutes)


def _told(fold: Fold, story: Story, key: bytes | None, value: bytes | None) -> None:
    if value:
        fold(story, key, value)


def _kept(story: OrderStory, key: bytes | None, value: bytes | None) -> None:
    if not value:
        return
    try:
        request = decode_notification(value)
    except InvalidMessage:
        return  # the channel worker dead-letters it; explain tells that
    story.request(request.notification_id, value)
