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


class Topics:
    def acks_enabled_for(self, topic: str) -> bool:
        return True  # an agent's topic


@dataclass
class App:
    topics: Topics = field(default_factory=Topics)


@dataclass
class Bookkeeping:
    """The consumer's own state that `_new_offset` reads and trims."""

    _acked: defaultdict[TP, list[int]] = field(default_factory=lambda: defaultdict(list))
    _acked_index: defaultdict[TP, set[int]] = field(default_factory=lambda: defaultdict(set))
    _committed_offset: defaultdict[TP, int | None] = field(
        default_factory=lambda: defaultdict(lambda: None)
    )
    _unacked_messages: set[Any] = field(default_factory=set)  # handed over, not acknowledged
    _read_offset: defaultdict[TP, int | None] = field(
        default_factory=lambda: defaultdict(lambda: None)
    )
    seeks: list[tuple[TP, int]] = field(default_factory=list)
    log_start: int = 0  # where the partition starts on the broker (retention)

    app: Any = field(default_factory=lambda: App())

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))
        self._read_offset[tp] = offset  # as faust's seek does
        self._expect(tp, offset)  # as aftercart's adds

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return dict.fromkeys(tps, self.log_start)

    def assignment(self) -> set[TP]:
        return {TOPIC}

    def __getattr__(self, name: str) -> Any:
        """The consumer's own methods under test, bound to this bookkeeping."""
        return getattr(_Consumer, name).__get__(self)

    def hand(self, *offsets: int) -> list[int]:
        """The records faust's drain loop hands to the agents, of those fetched."""
        handed = []
        for offset in offsets:
            last = self._read_offset[TOPIC]
            if _Consumer._in_sequence(self, TOPIC, offset):  # type: ignore[arg-type]
                if last is None or offset >= last:  # faust drops what is older
                    handed.append(offset)
                    self._read_offset[TOPIC] = offset
        return handed

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


async def test_records_fetched_before_a_seek_do_not_jump_ahead_of_those_after_it() -> None:
    book = Bookkeeping()
    book._read_offset[TOPIC] = 985  # a rebalance sought the partition to its committed offset
    # a fetch from before the seek returns first: faust would take 1100 and then drop 985-1099
    assert book.hand(1100, 1101, 1102) == []
    await asyncio.sleep(0)
    assert book.seeks == [(TOPIC, 985)]  # where the records go on from
    assert book.hand(1103) == []  # still from before the seek
    assert book.hand(986) == []  # 985 first
    assert book.hand(985, 986, 987, 988) == [985, 986, 987, 988]
    assert book.hand(989) == [989]
    assert book.seeks == [(TOPIC, 985)]


async def test_after_a_rebalance_the_committed_record_comes_first() -> None:
    book = Bookkeeping()
    book._read_offset[TOPIC] = 519  # handed over before the rebalance
    book._committed_offset[TOPIC] = 520
    book._read_offset[TOPIC] = 520  # faust's seek to the committed offset
    book._expect(TOPIC, 520)
    # faust alone would take 521 (one past 520 looks like the next) and drop 520
    assert book.hand(521, 522) == []
    assert book.hand(520, 521, 522) == [520, 521, 522]


async def test_records_deleted_before_they_were_read_are_skipped_once_the_broker_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(transport.asyncio, "sleep", sleep)
    book = Bookkeeping(log_start=2000)
    book._committed_offset[TOPIC] = 985
    await book.seek(TOPIC, 985)  # to the committed offset: records up to 1999 are gone
    assert book.hand(2000, 2001) == []
    await book._wait_for(TOPIC, 985)
    assert slept == []
    assert book.seeks == [(TOPIC, 985), (TOPIC, 2000)]  # read on from 2000
    assert book.hand(2000, 2001) == [2000, 2001]
    book.ack(2000, 2001)
    assert book.new_offset() == 2002  # the deleted records do not hold the commit back


async def test_a_record_that_comes_while_it_is_awaited_ends_the_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    book = Bookkeeping(log_start=0)
    await book.seek(TOPIC, 985)
    assert book.hand(990) == []

    async def sleep(seconds: float) -> None:
        assert book.hand(985) == [985]  # it arrives while the watch sleeps

    monkeypatch.setattr(transport.asyncio, "sleep", sleep)
    await book._wait_for(TOPIC, 985)
    assert book.seeks == [(TOPIC, 985), (TOPIC, 985)]  # read from it again, once
    assert book._gone_below(TOPIC) == 0
