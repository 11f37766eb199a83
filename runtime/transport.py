"""faust's Kafka transport with the fetch batching faust does not expose.

faust builds its aiokafka consumer with fetch_min_bytes=1, so a fetch returns as soon as one
record is there. Under a steady trickle (the bench's 500 events/s) every worker then fetched a
few records at a time, and the broker, the consumer threads and the hand-overs to the agents
cost more CPU than the records: on the bench's two cores every process waited for a core, and
p99 latency went past 5 s. A fetch now waits up to `kafka_fetch_wait_ms` for
`kafka_fetch_min_bytes` (README, Benchmark).

Its consumer also commits only past what the agents acknowledged, without a hole
(`_Consumer._new_offset`), records no fetch "gaps" (`_Consumer._add_gap`), and hands the agents
a partition's records in offset order, never one fetched before a seek ahead of the records
after it (`_Consumer.getmany`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from bisect import bisect_left
from collections.abc import AsyncIterator, Coroutine
from typing import Any, ClassVar

import aiokafka
import faust
from faust.transport.drivers import aiokafka as driver
from faust.types import TP, Message

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

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:  # noqa: ASYNC109 (faust's signature)
        """faust's batch of records, less those that jump ahead of where their partition is
        read (`_in_sequence`)."""
        acked_topic = self.app.topics.acks_enabled_for  # the agents' topics, not changelogs
        async for tp, message in super().getmany(timeout):
            if not acked_topic(tp.topic) or self._in_sequence(tp, message.offset):
                yield tp, message

    def _in_sequence(self, tp: TP, offset: int) -> bool:
        """Whether the record at `offset` may be handed over now: the one a seek moved the
        partition to, or, between seeks, one right after the last one handed to the agents.

        A fetch that was under way when a rebalance sought the partition back to its committed
        offset can return its records after the seek: measured in `make chaos` (a worker
        killed, or one added), records 5 to 90 offsets ahead came first, faust-streaming took
        them and then dropped every record below them (it drops what is older than the last
        one it handed over), and the partition was read again from the first dropped one
        seconds later (`_read_again`), after the same customers' later messages had gone:
        their order broken. Such a record is left out here, and the partition read from the one
        expected (`_expect`, `_watch`).

        The agents' topics are neither compacted nor transactional (a table's changelog is
        compacted, and is not checked here), so their offsets have no holes, with one
        exception: records deleted by retention before a consumer read them (a group stopped
        for longer than the topic keeps records); `_wait_for` reads on after them."""
        wanted_at = self._wanted()
        wanted = wanted_at.get(tp)
        if wanted is None:
            last = self._read_offset[tp]
            if last is None or offset <= last + 1:
                return True
            # `last` is the last record handed over, or the committed offset a seek set: read
            # from it (handed over twice at worst, which the agents and the ledger absorb)
            wanted = wanted_at[tp] = last
        if offset <= wanted:  # older ones: faust's own rule drops them
            if offset == wanted:
                del wanted_at[tp]
            return True
        self._watch(tp, wanted, offset)
        return False

    def _wanted(self) -> dict[TP, int]:
        """Per partition, the offset the next record handed over must have (after a seek)."""
        wanted: dict[TP, int] = self.__dict__.setdefault("_aftercart_wanted", {})
        return wanted

    def _expect(self, tp: TP, offset: int) -> None:
        """`tp` was sought to `offset`: the next record handed over is that one."""
        if self.app.topics.acks_enabled_for(tp.topic):
            self._wanted()[tp] = offset

    async def seek(self, partition: TP, offset: int) -> None:
        """faust's seek, after which the partition's next record is the one at `offset`."""
        await super().seek(partition, offset)
        self._expect(partition, offset)

    async def _seek(self, partition: TP, offset: int) -> None:
        """Seek in the consumer's own thread. faust's aiokafka driver calls aiokafka's seek from
        the worker's thread, which changes the fetcher's buffers while the consumer thread
        reads them: measured, a worker crashed with KeyError in aiokafka's `fetched_records`
        once seeks after rebalances became common."""
        thread = self._thread
        await thread.call_thread(thread._ensure_consumer().seek, partition, offset)

    async def perform_seek(self) -> None:
        """faust's seek of every partition to its committed offset (after a rebalance), after
        which each partition's next record is the one at that offset."""
        await super().perform_seek()
        for tp, offset in list(self._read_offset.items()):
            if offset is not None:
                self._expect(tp, offset)

    def _watch(self, tp: TP, wanted: int, came: int) -> None:
        """A record came ahead of the one wanted: read from that one (`_wait_for`)."""
        watching: set[tuple[TP, int]] = self.__dict__.setdefault("_aftercart_watching", set())
        if (tp, wanted) not in watching:
            watching.add((tp, wanted))
            log.info("%s: record %d came ahead of %d: reading from %d", tp, came, wanted, wanted)
            self._later(self._wait_for(tp, wanted))

    async def _wait_for(self, tp: TP, wanted: int) -> None:
        """Seek `tp` to `wanted` (measured: after a rebalance the fetch can go on from past
        the committed offset faust sought to, and the record would never come), and again
        every MISSING_S while it does not come; if retention deleted it, read on from where
        the partition starts (the deleted records count as done: `_new_offset`)."""
        watching: set[tuple[TP, int]] = self.__dict__.setdefault("_aftercart_watching", set())
        try:
            while self._wanted().get(tp) == wanted and tp in self.assignment():
                start = (await self.earliest_offsets(tp)).get(tp, wanted)
                if start > wanted:
                    log.warning(
                        "%s records %d to %d were deleted before they were read: "
                        "reading on from %d",
                        tp,
                        wanted,
                        start - 1,
                        start,
                    )
                    self.__dict__.setdefault("_aftercart_gone", {})[tp] = start
                    await self.seek(tp, start)
                    return
                await self.seek(tp, wanted)
                await asyncio.sleep(MISSING_S)
        finally:
            watching.discard((tp, wanted))

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        """Forget the records awaited on partitions this worker no longer reads."""
        wanted_at = self._wanted()
        for tp in revoked:
            wanted_at.pop(tp, None)
        await super().on_partitions_revoked(revoked)

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
        done, end = self._acked_index[tp], max(start, self._gone_below(tp))
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
        self._later(self.seek(tp, offset))

    def _gone_below(self, tp: TP) -> int:
        """The offset below which `tp`'s records were found deleted by retention (0: none)."""
        gone: dict[TP, int] = self.__dict__.get("_aftercart_gone", {})
        return gone.get(tp, 0)

    def _later(self, seeking: Coroutine[Any, Any, None]) -> None:
        """Run a seek as a task of its own (faust's seek is a coroutine, the callers are not)."""
        tasks: set[asyncio.Future[Any]] = self.__dict__.setdefault("_aftercart_seeks", set())
        task = asyncio.ensure_future(seeking)
        tasks.add(task)  # kept until done: a task nobody holds may be collected mid-way
        task.add_done_callback(tasks.discard)


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
