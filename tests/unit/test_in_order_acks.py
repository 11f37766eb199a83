"""A channel worker acknowledges each partition's messages in offset order, so faust never
commits past a message still in flight."""

from __future__ import annotations

from dataclasses import dataclass, field

from channels.pipeline import InOrderAcks


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
