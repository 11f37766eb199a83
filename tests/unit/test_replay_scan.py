"""Where a replay's scan says it got to: a record counts as passed only once the caller has
finished with it, so a replay stopped (Ctrl-C) while putting one back goes on from that one."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from operate.scan import Progress, scan
from operate.selection import Selection

TOPIC = "shop.events"


class FakeConsumer:
    """A topic of `sizes[p]` records in partition p, each partition served whole by one poll."""

    def __init__(self, sizes: dict[int, int]) -> None:
        self.sizes = sizes
        self.positions: dict[TopicPartition, int] = {}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(self.sizes)

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        self.assigned = list(partitions)

    def end_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self.sizes[tp.partition] for tp in partitions}

    def beginning_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(partitions, 0)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.positions[tp] = offset

    def poll(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[ConsumerRecord]]:
        for tp, at in self.positions.items():
            if at < self.sizes[tp.partition]:
                self.positions[tp] = self.sizes[tp.partition]
                return {tp: [_record(tp, o) for o in range(at, self.sizes[tp.partition])]}
        return {}

    def close(self) -> None:
        pass


def _record(tp: TopicPartition, offset: int) -> ConsumerRecord:
    return ConsumerRecord(
        topic=tp.topic,
        partition=tp.partition,
        leader_epoch=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=b"{}",
        headers=[],
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=2,
        serialized_header_size=0,
    )


@pytest.fixture
def consumer(monkeypatch: pytest.MonkeyPatch) -> FakeConsumer:
    fake = FakeConsumer({0: 3, 1: 2})
    monkeypatch.setattr("operate.scan.open_consumer", lambda *args, **config: fake)
    return fake


def test_a_scan_stopped_while_a_record_is_handled_goes_on_from_that_record(
    consumer: FakeConsumer,
) -> None:
    progress = Progress()
    handled: list[tuple[int, int]] = []
    with pytest.raises(KeyboardInterrupt):
        for record in scan("kafka:9092", TOPIC, Selection(), progress):
            if len(handled) == 2:
                raise KeyboardInterrupt  # Ctrl-C while the third record is put back
            handled.append((record.partition, record.offset))
    assert handled == [(0, 0), (0, 1)]
    assert progress.where() == "0:2 1:0"


def test_a_finished_scan_is_at_every_partition_end(consumer: FakeConsumer) -> None:
    progress = Progress()
    read = [(r.partition, r.offset) for r in scan("kafka:9092", TOPIC, Selection(), progress)]
    assert read == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    assert (progress.where(), progress.read) == ("0:3 1:2", 5)
