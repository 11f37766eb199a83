"""What a worker commits: only past acknowledged offsets that follow the committed one."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
from faust.types import TP

from runtime import transport
from runtime.transport import MISSING_S, _Consumer

TOPIC = TP("t.notify.sms", 0)


@dataclass
class Bookkeeping:
    """The consumer's own state that `_new_offset` reads and trims."""

    _acked: defaultdict[TP, list[int]] = field(default_factory=lambda: defaultdict(list))
    _acked_index: defaultdict[TP, set[int]] = field(default_factory=lambda: defaultdict(set))
    _committed_offset: defaultdict[TP, int | None] = field(
        default_factory=lambda: defaultdict(lambda: None)
    )
    _unacked_messages: set[Any] = field(default_factory=set)  # handed over, not acknowledged
    seeks: list[tuple[TP, int]] = field(default_factory=list)

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))

    def _read_again(self, tp: TP, offset: int) -> None:
        _Consumer._read_again(self, tp, offset)  # type: ignore[arg-type]

    def ack(self, *offsets: int) -> None:
        for offset in offsets:
            self._acked[TOPIC].append(offset)
            self._acked_index[TOPIC].add(offset)

    def new_offset(self) -> int | None:
        return _Consumer._new_offset(self, TOPIC)  # type: ignore[arg-type]


def test_a_commit_goes_past_the_acknowledged_run_from_the_committed_offset() -> None:
    book = Bookkeeping()
    book._committed_offset[TOPIC] = 100
    book.ack(102, 100, 101, 105)
    assert book.new_offset() == 103
    assert book._acked[TOPIC] == [105] and book._acked_index[TOPIC] == {105}


def test_the_committed_record_not_acknowledged_holds_the_commit_back() -> None:
    # faust lets a run starting one past the committed offset through: record 100 would be
    # committed past while it is still being delivered
    book = Bookkeeping()
    book._committed_offset[TOPIC] = 100
    book.ack(101, 102, 103)
    assert book.new_offset() is None
    book.ack(100)
    assert book.new_offset() == 104


def test_a_partition_with_nothing_committed_starts_at_its_lowest_acknowledged_offset() -> None:
    book = Bookkeeping()
    book.ack(0, 1, 3)
    assert book.new_offset() == 2
    book._committed_offset[TOPIC] = 2  # as faust records a commit
    assert book.new_offset() is None  # 2 is still being delivered


def test_offsets_below_the_committed_one_are_forgotten() -> None:
    book = Bookkeeping()
    book._committed_offset[TOPIC] = 50
    book.ack(48, 49, 52)
    assert book.new_offset() is None
    assert book._acked[TOPIC] == [52]


@dataclass(frozen=True)
class Handed:
    tp: TP
    offset: int


async def test_a_record_never_handed_over_is_read_again_once_missing_a_while(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    monkeypatch.setattr(transport.time, "monotonic", lambda: now[0])
    book = Bookkeeping()
    book._committed_offset[TOPIC] = 100
    book.ack(101, 102)
    # While record 100 is handed over and being worked on, the commit waits for it
    book._unacked_messages.add(Handed(TOPIC, 100))
    now[0] += 10 * MISSING_S
    assert book.new_offset() is None
    await asyncio.sleep(0)
    assert book.seeks == []
    # When it was never handed over (faust dropped it), the partition is read again from it,
    # once it has been missing for MISSING_S
    book._unacked_messages.clear()
    assert book.new_offset() is None
    now[0] += MISSING_S / 2
    assert book.new_offset() is None
    await asyncio.sleep(0)
    assert book.seeks == []
    now[0] += MISSING_S
    assert book.new_offset() is None
    await asyncio.sleep(0)
    assert book.seeks == [(TOPIC, 100)]
