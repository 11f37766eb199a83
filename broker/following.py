"""Follow topics from their beginning in a thread beside an event loop, folding each record
into something kept in memory: the gateway's notifications API (operate/follow.py) and the
preference center's view of customers (pages/customers.py) answer from what it folded.

One consumer outside any group reads every partition of the topics named, from the
beginning; a topic created later is picked up when it appears. Until it has read what was on
the topics when it started, `waiting` says what it is waiting for; then None. Folds run under
`lock`, which readers hold too.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping

from kafka import KafkaConsumer, TopicPartition

from broker.reading import open_consumer

log = logging.getLogger(__name__)
# What one record tells: its key and value (None: a tombstone).
Fold = Callable[[bytes | None, bytes | None], None]


class Following:
    """Folds the topics' records as they come; `waiting` until caught up."""

    def __init__(
        self,
        bootstrap: str,
        folds: Mapping[str, Fold],
        client_id: str,
        *,
        recheck_s: float = 5.0,
        ready: Callable[[], str] = lambda: "caught up",
    ) -> None:
        self.bootstrap = bootstrap
        self.folds = folds
        self.client_id = client_id
        self.recheck_s = recheck_s
        self.ready = ready  # what to log once caught up
        self.lock = threading.Lock()
        self.waiting: str | None = f"connecting to Kafka at {bootstrap}"
        self._positions: dict[TopicPartition, int] = {}  # next offset to read
        self._ends: dict[TopicPartition, int] = {}  # what was there when first assigned
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    async def start(self) -> None:
        """Begin following in a thread of its own."""
        self._thread = threading.Thread(target=self._run, name=self.client_id, daemon=True)
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
                log.warning("following topics at %s: %s", self.bootstrap, exc)
                self._stop.wait(self.recheck_s)

    def _follow(self) -> None:
        consumer = open_consumer(self.bootstrap, self.client_id)
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
                            fold(record.key, record.value)
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
            log.info("%s ready: %s", self.client_id, self.ready())
