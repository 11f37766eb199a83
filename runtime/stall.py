"""A watch for the one Kafka client stall aiokafka does not come back from by itself.

Seen on a three-broker cluster (tests/integration/test_cluster.py, once in several runs): the
broker that was the group's coordinator was killed a moment after a channel worker started;
the worker's consumer then asked the dead broker for records every 100 ms for minutes ("Failed
fetch messages from 3: NodeNotReadyError"), never taking the new leaders from fresh metadata,
and never found the new coordinator. Everything else in the process was well, so nothing
restarted it. A client that recovers stops failing against a dead broker within seconds (a
new leader is elected, and the fetcher moves to it).

So each worker counts its fetcher's failures per broker: when fetches from one broker have
failed without a pause for `limit_s` (AFTERCART_KAFKA_STALL_S, 90 s), the worker says so and
exits; the supervisor (`aftercart up`) starts it again with a fresh client, and its delivery
ledger keeps the restart from sending anything twice, as after any kill. While all of Kafka is
away for longer than that, workers exit and are started again with back-off until it is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

FETCHER_LOGGER = "aiokafka.consumer.fetcher"
PAUSE_S = 5.0  # a gap this long between two failures ends a run of them


class FetchStall(logging.Handler):
    """Counts the fetcher's failures per broker; `stalled()` says whether one run of them has
    gone on for `limit_s`."""

    def __init__(self, limit_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(logging.ERROR)
        self.limit_s = limit_s
        self.clock = clock
        self.first: dict[str, float] = {}  # broker: when its current run of failures began
        self.last: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if not str(record.msg).startswith("Failed fetch messages from") or not record.args:
            return
        node = str(record.args[0])  # type: ignore[index]
        now = self.clock()
        if node not in self.last or now - self.last[node] > PAUSE_S:
            self.first[node] = now
        self.last[node] = now

    def stalled(self) -> str | None:
        """Why the client is stuck, or None."""
        now = self.clock()
        for node, last in self.last.items():
            ongoing = now - last <= PAUSE_S
            if ongoing and last - self.first[node] >= self.limit_s:
                return (
                    f"fetching records from Kafka broker {node} has failed without a pause for "
                    f"{last - self.first[node]:.0f} s; the Kafka client is not moving to the "
                    "partitions' new leaders"
                )
        return None


def watch_fetches(limit_s: float) -> FetchStall:
    """A FetchStall listening to aiokafka's fetcher in this process."""
    watch = FetchStall(limit_s)
    logging.getLogger(FETCHER_LOGGER).addHandler(watch)
    return watch
