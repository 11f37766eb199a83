"""Follow the topics `explain` reads and keep the story in memory, for the gateway's
notifications API (ingest/routes/notifications.py): a request is answered from memory, not by
reading every topic again.

One consumer outside any group reads the decisions, the retry topics, the delivery ledgers,
the dead letters and the receipts from their beginning (operate/sources.py says what each
record tells), in a thread beside the gateway's event loop; a topic created later is picked up
when it appears. Until it has read what was on the topics when it started, it says so
(`waiting`) and the API answers 503. Memory grows with the notifications the topics still
hold (their retention bounds it): about what `explain` reads, kept.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from broker.reading import open_consumer
from operate.explain import as_json, life_json
from operate.sources import Story, folds
from schemas.decision import DecisionRecord
from schemas.topics import Topics

log = logging.getLogger(__name__)
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


class Follower:
    """The story as the topics grow; the gateway's NotificationLookup."""

    def __init__(self, bootstrap: str, topics: Topics, *, recheck_s: float = 5.0) -> None:
        self.bootstrap = bootstrap
        self.folds = folds(topics)
        self.recheck_s = recheck_s
        self.story = OrderStory()
        self.lock = threading.Lock()
        self.waiting: str | None = f"connecting to Kafka at {bootstrap}"
        self._positions: dict[TopicPartition, int] = {}  # next offset to read
        self._ends: dict[TopicPartition, int] = {}  # what was there when first assigned
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def notification(self, notification_id: str) -> dict[str, Any] | None:
        """One notification's life, JSON-ready (None if nothing is known of it)."""
        with self.lock:
            return self.story.notification(notification_id)

    def order(self, order: str) -> dict[str, Any] | None:
        """`explain --json` for one order, with its notifications listed (None if unknown)."""
        with self.lock:
            return self.story.order(order)

    async def start(self) -> None:
        """Begin following in a thread of its own."""
        self._thread = threading.Thread(target=self._run, name="follow-topics", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Stop following (the thread ends within one poll)."""
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 10.0)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._follow()
            except Exception as exc:
                log.warning("following the pipeline's topics at %s: %s", self.bootstrap, exc)
                self._stop.wait(self.recheck_s)

    def _follow(self) -> None:
        consumer = open_consumer(self.bootstrap, CLIENT_ID)
        try:
            assigned: set[TopicPartition] = set()
            recheck = 0.0
            while not self._stop.is_set():
                if time.monotonic() >= recheck:
                    self._assign(consumer, assigned)
                    recheck = time.monotonic() + self.recheck_s
                batch = consumer.poll(timeout_ms=500, max_records=1000)
                with self.lock:
                    for tp, records in batch.items():
                        fold = self.folds[tp.topic]
                        for record in records:
                            if record.value:
                                fold(self.story, record.key, record.value)
                        self._positions[tp] = records[-1].offset + 1
                self._catch_up(consumer)
        finally:
            consumer.close()

    def _assign(self, consumer: KafkaConsumer, assigned: set[TopicPartition]) -> None:
        """Every partition of the topics that exist, each where this follower left it."""
        wanted = {
            TopicPartition(topic, p)
            for topic in self.folds
            for p in consumer.partitions_for_topic(topic) or ()
        }
        if wanted == assigned:
            return
        consumer.assign(sorted(wanted))
        for tp in wanted:
            if tp in self._positions:
                consumer.seek(tp, self._positions[tp])
            else:
                consumer.seek_to_beginning(tp)
        if self.waiting is not None:
            self._ends |= consumer.end_offsets(sorted(wanted - assigned))
        assigned |= wanted

    def _catch_up(self, consumer: KafkaConsumer) -> None:
        if self.waiting is None:
            return
        left = sum(max(0, end - consumer.position(tp)) for tp, end in self._ends.items())
        self.waiting = f"reading the pipeline's records, {left} left" if left else None
        if not left:
            log.info("notifications API ready: %d notifications known", len(self.story.about))
