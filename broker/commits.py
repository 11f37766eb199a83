"""When a consumer group's committed offsets last moved, read from Kafka's own log of commits.

OffsetFetch tells where a group stands, not since when. The group coordinator writes every
commit to `__consumer_offsets` (one record per group, topic and partition, with the time of the
commit), in the partition the group id hashes to; this module reads that partition backwards
from its end. A client may commit the same offset again and again (kafka-python does, on every
commit call), so the time that matters is that of the oldest record of the latest run of equal
offsets: when the offset took its present value.

The topic is compacted: once its older segments are cleaned, only the latest record of each
key is kept, and the record of the move may be gone. Then the oldest record of the present
value still kept is all there is, and the move happened at or before it (`exact` False).
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

OFFSETS_TOPIC = "__consumer_offsets"
# Key types (the key's first int16) of an offset commit: LegacyOffsetCommitKey (0) and
# OffsetCommitKey (1), both `group: string, topic: string, partition: int32`.
_COMMIT_KEYS = (0, 1)


@dataclass(frozen=True)
class OffsetMove:
    """When a committed offset took its present value."""

    offset: int
    at_ms: int  # epoch ms, the coordinator's clock
    exact: bool  # False: the record of the move is no longer kept; it happened at or before


def java_hash(text: str) -> int:
    """Java's String.hashCode (over UTF-16 code units, 32-bit wrap-around)."""
    data = text.encode("utf-16-be")
    h = 0
    for (unit,) in struct.iter_unpack(">H", data):
        h = (31 * h + unit) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def offsets_partition(group: str, partitions: int) -> int:
    """The `__consumer_offsets` partition of a group: Utils.abs(group.hashCode()) % n."""
    h = java_hash(group)
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def _string(data: bytes, at: int) -> tuple[str, int]:
    (size,) = struct.unpack_from(">h", data, at)
    return data[at + 2 : at + 2 + size].decode(), at + 2 + size


def _uvarint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def parse_key(key: bytes) -> tuple[str, str, int] | None:
    """(group, topic, partition) of an offset commit record; None for any other record."""
    if len(key) < 2 or struct.unpack_from(">h", key)[0] not in _COMMIT_KEYS:
        return None
    group, at = _string(key, 2)
    topic, at = _string(key, at)
    (partition,) = struct.unpack_from(">i", key, at)
    return group, topic, partition


def parse_value(value: bytes) -> tuple[int, int]:
    """(offset, commit time in epoch ms) of an offset commit value, versions 0 to 4."""
    version, offset = struct.unpack_from(">hq", value)
    at = 10
    if version >= 3:
        at += 4  # leaderEpoch
    if version >= 4:  # flexible: a compact string, its length + 1 as an unsigned varint
        size, at = _uvarint(value, at)
        at += max(size - 1, 0)
    else:
        at += 2 + max(struct.unpack_from(">h", value, at)[0], 0)
    (commit_ms,) = struct.unpack_from(">q", value, at)
    return offset, commit_ms


class _Runs:
    """The latest run of equal offsets per partition, fed with records newest first."""

    def __init__(self, group: str, wanted: Iterable[TopicPartition]) -> None:
        self.group = group
        self.open: set[TopicPartition] = set(wanted)
        self.found: dict[TopicPartition, OffsetMove] = {}

    def feed(self, record: ConsumerRecord) -> None:
        """Take one record, newer records having been fed before it."""
        key = parse_key(record.key) if record.key else None
        if key is None or key[0] != self.group:
            return
        tp = TopicPartition(key[1], key[2])
        if tp not in self.open:
            return
        latest = self.found.get(tp)
        # A tombstone (the offset was deleted) or another offset: what came before the run.
        offset, at_ms = parse_value(record.value) if record.value is not None else (-1, 0)
        if record.value is None or (latest is not None and offset != latest.offset):
            self.open.discard(tp)
            if latest is not None:
                self.found[tp] = OffsetMove(latest.offset, latest.at_ms, exact=True)
        else:
            self.found[tp] = OffsetMove(offset, at_ms, exact=False)


def last_moves(
    bootstrap: str, wanted: Mapping[str, Iterable[TopicPartition]], *, timeout: float = 10.0
) -> dict[str, dict[TopicPartition, OffsetMove]]:
    """Per group, when its committed offset of each wanted partition took its present value.

    Reads each group's `__consumer_offsets` partition backwards, in growing windows, until
    every wanted partition's run is complete, the beginning is reached or `timeout` is spent.
    A partition whose commit record was not found is left out."""
    deadline = time.monotonic() + timeout
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        client_id="aftercart-lag",
        request_timeout_ms=max(int(timeout * 1000), 1000),
    )
    try:
        count = len(consumer.partitions_for_topic(OFFSETS_TOPIC) or ())
        found = {}
        for group, partitions in wanted.items():
            runs = _Runs(group, partitions)
            if count and runs.open:  # count 0: no group has ever committed on this broker
                tp = TopicPartition(OFFSETS_TOPIC, offsets_partition(group, count))
                _scan(consumer, tp, runs, deadline)
            found[group] = runs.found
        return found
    finally:
        consumer.close()


def _scan(consumer: KafkaConsumer, tp: TopicPartition, runs: _Runs, deadline: float) -> None:
    consumer.assign([tp])
    start = consumer.beginning_offsets([tp])[tp]
    high = consumer.end_offsets([tp])[tp]
    window = 1000
    while runs.open and high > start:
        low = max(start, high - window)
        records = _read(consumer, tp, low, high, deadline)
        if records is None:  # out of time within this window
            return
        for record in reversed(records):
            runs.feed(record)
        high, window = low, window * 4


def _read(
    consumer: KafkaConsumer, tp: TopicPartition, low: int, high: int, deadline: float
) -> list[ConsumerRecord] | None:
    """Records at offsets low..high-1 (gaps left by compaction skipped); None if out of time."""
    consumer.seek(tp, low)
    records: list[ConsumerRecord] = []
    while consumer.position(tp) < high:
        if time.monotonic() >= deadline:
            return None
        for batch in consumer.poll(timeout_ms=200, max_records=5000).values():
            records.extend(r for r in batch if r.offset < high)
    return records
