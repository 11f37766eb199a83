"""faust's Kafka transport with the fetch batching faust does not expose.

faust builds its aiokafka consumer with fetch_min_bytes=1, so a fetch returns as soon as one
record is there. Under a steady trickle (the bench's 500 events/s) every worker then fetched a
few records at a time, and the broker, the consumer threads and the hand-overs to the agents
cost more CPU than the records: on the bench's two cores every process waited for a core, and
p99 latency went past 5 s. A fetch now waits up to `kafka_fetch_wait_ms` for
`kafka_fetch_min_bytes` (README, Benchmark).

Its consumer also commits only past what the agents acknowledged, without a hole
(`_Consumer._new_offset`), and records no fetch "gaps" (`_Consumer._add_gap`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from bisect import bisect_left
from typing import ClassVar

import aiokafka
import faust
from faust.transport.drivers import aiokafka as driver
from faust.types import TP

from runtime.settings import Settings

log = logging.getLogger(__name__)
# How long the next offset to commit may be missing, never handed to the agents while later
# ones were acknowledged, before its partition is read again from it.
MISSING_S = 2.0


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: driver.Transport) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        assert isinstance(transport, _Transport)
        # Read by aiokafka when the consumer starts and builds its fetcher (aiokafka 0.14).
        consumer._fetch_min_bytes = transport.fetch_min_bytes
        consumer._fetch_max_wait_ms = transport.fetch_wait_ms
        return consumer


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        """Record no gap: count as done only the offsets the streams acknowledged.

        faust-streaming 0.15 keeps, per partition, "gaps": offsets it jumped over while
        fetching, meant for compacted topics and transaction markers, which it counts as
        acknowledged when it commits (`Consumer._add_gap`, `_new_offset`). After a restart it
        also jumps when the records it fetched before seeking to the committed offset are
        followed by newer ones, and the gap it records then covers records being processed,
        the one it just read included (it adds `r_offset + 1` to `offset`, both ends). Those
        offsets end up twice in its list of acknowledged ones, so each commit advances one
        offset (it commits the first run of consecutive numbers, and a repeated number ends
        the run): measured in tests/integration/test_restart_catchup.py, a restarted email
        worker committed one record a second while 300 a second arrived, and took 31 s to
        catch up. Worse, a gap could let a commit pass a record still in flight, which
        channels/pipeline.py's in-order acks exist to prevent. aftercart's agents read topics
        that are neither compacted nor transactional, so their offsets have no gaps (tables
        recover from their changelogs by another path, which this does not touch)."""

    def _new_offset(self, tp: TP) -> int | None:
        """The offset to commit for `tp`: just past the acknowledged offsets that follow the
        committed one without a hole; None when the next one to commit is not acknowledged.

        faust-streaming 0.15 commits the first run of consecutive acknowledged offsets and
        checks where that run starts only when the partition has a committed offset above 0,
        and then lets the run start one past it: a record that was not acknowledged could be
        committed past, and lost to a worker killed then. Measured: in
        tests/integration/test_restart_catchup.py a restarted worker committed past one record
        in about one run of three (a text or an email never sent, no ledger entry, the group's
        offset beyond it). Here the run must start at the committed offset itself; only a
        partition with nothing committed yet starts at its lowest acknowledged offset."""
        acked = self._acked[tp]
        if not acked:
            return None
        acked.sort()
        committed = self._committed_offset[tp]
        start = acked[0] if committed is None else committed
        done, end = self._acked_index[tp], start
        while end in done:
            end += 1
        behind = bisect_left(acked, end)  # committed now, or before: forget them
        done.difference_update(acked[:behind])
        del acked[:behind]
        if end > start:
            return end
        if committed is not None and acked:
            self._read_again(tp, committed)
        return None

    def _read_again(self, tp: TP, offset: int) -> None:
        """The record at `offset` is the next to commit, later ones were acknowledged, and it
        was never handed to the agents: faust-streaming drops a record whose offset is below
        the last one it handed over, and after a rebalance it can hand over records fetched
        before its seek to the committed offset ahead of the ones after it. Left alone, the
        partition would commit no more (the rule above); read it again from that record
        once it has been missing for MISSING_S (agents and the ledger take a record handed
        over twice as one)."""
        if any(m.tp == tp and m.offset == offset for m in list(self._unacked_messages)):
            return  # handed over, still being worked on
        missing = self.__dict__.setdefault("_aftercart_missing", {})
        now = time.monotonic()
        if now - missing.setdefault((tp, offset), now) < MISSING_S:
            return
        del missing[(tp, offset)]
        log.warning(
            "%s offset %d was never handed to the agents while later ones were done: "
            "reading the partition again from it",
            tp,
            offset,
        )
        seeking = self.__dict__.setdefault("_aftercart_seeks", set())
        task = asyncio.ensure_future(self.seek(tp, offset))
        seeking.add(task)  # kept until done: a task nobody holds may be collected mid-way
        task.add_done_callback(seeking.discard)


class _Transport(driver.Transport):
    Consumer: ClassVar[type[_Consumer]] = _Consumer
    fetch_min_bytes = 1
    fetch_wait_ms = 500


def use_fetch_batching(app: faust.App, settings: Settings) -> None:
    """Give `app` a consumer that fetches in batches (call before the app starts)."""
    transport = _Transport(app.conf.broker_consumer, app)
    transport.fetch_min_bytes = settings.kafka_fetch_min_bytes
    transport.fetch_wait_ms = settings.kafka_fetch_wait_ms
    app.transport = transport
