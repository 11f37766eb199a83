"""Deliveries in flight: taken as they arrive, each customer's in order, a bounded number at once.

A channel worker does not wait for a whole batch before it takes the next message: near
capacity that made a batch's delivery time everyone's latency (README, Benchmark). Instead each
message starts as soon as it arrives and a slot is free; when all `limit` slots are taken the
worker stops taking (consumption pauses rather than buffering without bound). A customer's
messages still go out in the order they came: each waits for the one before it. (The retry
agent gives each record a key of its own: a record waiting for its time holds up no other.)
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

log = logging.getLogger(__name__)
Job = Callable[[], Awaitable[None]]


class Pipeline:
    """Runs jobs concurrently, at most `limit` at a time, in order per key."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._tails: dict[bytes, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()

    async def submit(self, key: bytes, job: Job) -> None:
        """Start `job` once a slot is free (waiting here is the back-pressure) and after the
        key's previous job has finished."""
        await self._slots.acquire()
        task = asyncio.create_task(self._run(key, self._tails.get(key), job))
        self._tails[key] = task
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, key: bytes, before: asyncio.Task[None] | None, job: Job) -> None:
        try:
            if before is not None:
                await asyncio.wait([before])  # its outcome is its own business
            await job()
        except Exception:
            log.exception("delivery job failed")
        finally:
            self._slots.release()
            if self._tails.get(key) is asyncio.current_task():
                del self._tails[key]

    async def drain(self) -> None:
        """Wait for every job started so far."""
        while self._running:
            await asyncio.wait(list(self._running))

    def __len__(self) -> int:
        return len(self._running)


class Claims:
    """One holder per key at a time, the others waiting their turn; a key is forgotten once
    nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold `key` for the block, after whoever holds it now."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)

    def held(self) -> frozenset[str]:
        """The keys someone holds or waits for right now."""
        return frozenset(self._locks)


class InOrderAcks:
    """Acknowledges each partition's messages in offset order, whatever order they finish in.

    faust commits the first run of consecutive acknowledged offsets, and lets a gap of one
    message at its head through (`Consumer._new_offset`: it skips the check while nothing was
    committed yet, and allows `min(acked) - committed == 1`). With deliveries finishing out of
    order, the offset of a message still in flight could be committed past, and the message
    lost if the worker died then. So a finished message is acknowledged only once every
    message taken before it on its partition has finished too.
    """

    def __init__(self) -> None:
        self._taken: dict[Any, deque[Any]] = {}  # per partition, in the order taken
        # Finished, not yet acknowledged, by identity: after a restart faust can hand over the
        # same offset twice (what it fetched before seeking to the committed offset, then
        # again after), and each delivery of it must be counted on its own.
        self._done: set[int] = set()

    def taken(self, event: Any) -> None:
        """Note a message as it is taken (in offset order within its partition)."""
        self._taken.setdefault(event.message.tp, deque()).append(event)

    def finished(self, event: Any) -> None:
        """The message is done: acknowledge it and the finished ones after it, once nothing
        taken before it on its partition is still in flight."""
        waiting = self._taken.get(event.message.tp)
        if waiting is None:
            event.ack()  # not taken through here
            return
        self._done.add(id(event))
        while waiting and id(waiting[0]) in self._done:
            head = waiting.popleft()
            self._done.discard(id(head))
            head.ack()

    def __len__(self) -> int:
        return sum(len(waiting) for waiting in self._taken.values())


async def take_in_order(
    events: AsyncIterable[Any],
    key: Callable[[Any], bytes],
    work: Callable[[Any], Awaitable[None]],
    limit: int,
) -> None:
    """Start `work` on each event as it is taken (each key's in order, at most `limit` at once)
    and acknowledge each partition's events in offset order once their work is done; return
    when the events end and every one taken is done."""
    pipeline, acks = Pipeline(limit), InOrderAcks()

    async def job(event: Any) -> None:
        await work(event)
        # Only now may the offset be committed, and only once every message before it on its
        # partition is done too; faust flushes the producer, whatever the work queued
        # included, before it commits.
        acks.finished(event)

    async for event in events:
        acks.taken(event)
        await pipeline.submit(key(event), partial(job, event))
    await pipeline.drain()
