"""A channel worker acknowledges each partition's messages in offset order, so faust never
commits past a message still in flight (InOrderAcks), whatever order their work ends in
(take_in_order)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from channels.pipeline import InOrderAcks, take_in_order


@dataclass
class Message:
    tp: tuple[str, int]
    offset: int


@dataclass
class Event:
    message: Message
    log: list[tuple[int, int]] = field(default_factory=list)

    def ack(self) -> None:
        self.log.append((self.message.tp[1], self.message.offset))


def taken(acks: InOrderAcks, log: list[tuple[int, int]], partition: int, offset: int) -> Event:
    event = Event(Message(("aftercart.notify.email", partition), offset), log)
    acks.taken(event)
    return event


def test_a_message_finished_early_waits_for_the_one_before_it_on_its_partition() -> None:
    # Given three messages of partition 0 and one of partition 1, taken in that order
    acks, log = InOrderAcks(), []
    a, b, c = (taken(acks, log, 0, offset) for offset in (10, 11, 12))
    other = taken(acks, log, 1, 7)
    # When the later ones finish first (the first is still at the provider)
    acks.finished(c)
    acks.finished(b)
    acks.finished(other)
    # Then nothing of partition 0 is acknowledged yet (faust would commit past offset 10),
    # while the other partition goes on
    assert log == [(1, 7)]
    # And once the first finishes, all three are acknowledged, in order
    acks.finished(a)
    assert log == [(1, 7), (0, 10), (0, 11), (0, 12)]
    assert len(acks) == 0


def test_an_offset_handed_over_twice_is_counted_once_per_delivery() -> None:
    # Given faust handing over offsets 5 and 6 before it seeks to the committed offset 5, then
    # 5 and 6 again after
    acks, log = InOrderAcks(), []
    early5, early6, late5, late6 = (taken(acks, log, 0, offset) for offset in (5, 6, 5, 6))
    # When a later delivery of offset 5 finishes before the earlier one
    for event in (late5, early5, early6, late6):
        acks.finished(event)
    # Then every delivery is acknowledged, and nothing is left waiting (a stalled commit)
    assert log == [(0, 5), (0, 6), (0, 5), (0, 6)]
    assert len(acks) == 0


async def events_of(*events: Event) -> AsyncIterator[Event]:
    for event in events:
        yield event


def by_offset(event: Event) -> bytes:
    return str(event.message.offset).encode()


async def test_work_done_out_of_order_is_acknowledged_in_order() -> None:
    # Given three messages of one partition, each with its own key, the first slowest
    log: list[tuple[int, int]] = []
    first, second, third = (Event(Message(("n", 0), offset), log) for offset in (1, 2, 3))
    release = asyncio.Event()
    done: list[int] = []

    async def work(event: Event) -> None:
        if event is first:
            await release.wait()
        done.append(event.message.offset)
        if len(done) == 2:
            release.set()

    # When they are taken and worked on
    await take_in_order(events_of(first, second, third), by_offset, work, limit=3)
    # Then the later ones finished first, yet each was acknowledged in offset order
    assert done == [2, 3, 1]
    assert log == [(0, 1), (0, 2), (0, 3)]


async def test_one_keys_messages_are_worked_on_in_the_order_taken() -> None:
    # Given two messages of one customer, the first slow
    log: list[tuple[int, int]] = []
    slow, fast = (Event(Message(("n", 0), offset), log) for offset in (1, 2))
    done: list[int] = []

    async def work(event: Event) -> None:
        await asyncio.sleep(0.01 if event is slow else 0)
        done.append(event.message.offset)

    # When they are taken under the same key
    await take_in_order(events_of(slow, fast), lambda event: b"c1", work, limit=2)
    # Then the second waited for the first
    assert done == [1, 2]
    assert log == [(0, 1), (0, 2)]


async def test_a_message_whose_work_failed_holds_back_its_partitions_acknowledgements() -> None:
    # Given a message whose work fails, a later one on its partition, and one on another
    log: list[tuple[int, int]] = []
    failing, later = (Event(Message(("n", 0), offset), log) for offset in (1, 2))
    other = Event(Message(("n", 1), 7), log)

    async def work(event: Event) -> None:
        if event is failing:
            raise RuntimeError("bug")

    # When they are worked on
    await take_in_order(events_of(failing, later, other), by_offset, work, limit=3)
    # Then nothing of the failed message's partition is acknowledged (faust will not commit
    # past it, and it is read again after a restart), while the other partition goes on
    assert log == [(1, 7)]
