"""Read the records a replay selected: from each partition's start (the first record at
`--since`, or the beginning; with `--from-offset`, only the partitions named, from there) to
its end offset at the moment of asking, those stamped no later than `--until`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from broker.reading import MissingTopic, open_consumer
from operate.selection import Selection
from operate.timespec import epoch_ms


@dataclass
class Progress:
    """How far a scan got: records read, and each partition's next offset."""

    total: int = 0
    read: int = 0
    next_offsets: dict[int, int] = field(default_factory=dict)
    ends: dict[int, int] = field(default_factory=dict)

    def where(self) -> str:
        """`P:O` per partition: where a stopped scan would go on from."""
        return " ".join(f"{p}:{o}" for p, o in sorted(self.next_offsets.items()))


def scan(
    bootstrap: str,
    topic: str,
    selection: Selection,
    progress: Progress,
    *,
    timeout_s: float = 600.0,
    client_id: str = "aftercart-replay",
) -> Iterator[ConsumerRecord]:
    """The topic's records in the selection's time and place, in order per partition;
    RuntimeError if Kafka or the topic is missing, ValueError for an offset that is not
    there."""
    consumer = open_consumer(
        bootstrap,
        client_id,
        fetch_max_bytes=32 * 1024 * 1024,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    try:
        partitions = _start(consumer, topic, selection, progress)
        until = epoch_ms(selection.until) if selection.until else None
        deadline = time.monotonic() + timeout_s
        left = progress.next_offsets, progress.ends
        while any(left[0][tp.partition] < left[1][tp.partition] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} took over {timeout_s:.0f} s")
            for tp, records in consumer.poll(timeout_ms=500, max_records=10_000).items():
                end = progress.ends[tp.partition]
                for record in records:
                    if record.offset >= end:
                        break
                    progress.read += 1
                    if until is None or record.timestamp <= until:
                        yield record
                    # Past a record only once the caller asks for the next: one stopped while
                    # handling it (Ctrl-C) must go on from it, not after it.
                    progress.next_offsets[tp.partition] = record.offset + 1
    finally:
        consumer.close()


def _start(
    consumer: KafkaConsumer, topic: str, selection: Selection, progress: Progress
) -> list[TopicPartition]:
    """Assign every partition and seek each to where the selection starts."""
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    if not partitions:
        raise MissingTopic(f"topic {topic} does not exist")
    consumer.assign(partitions)
    ends = consumer.end_offsets(partitions)
    begins = consumer.beginning_offsets(partitions)
    starts = dict(begins)
    if selection.since is not None:
        found = consumer.offsets_for_times(dict.fromkeys(partitions, epoch_ms(selection.since)))
        starts = {tp: found[tp].offset if found.get(tp) else ends[tp] for tp in partitions}
    for partition, offset in selection.from_offsets.items():
        tp = TopicPartition(topic, partition)
        if tp not in ends:
            raise ValueError(f"{topic} has no partition {partition}")
        if not begins[tp] <= offset <= ends[tp]:
            raise ValueError(
                f"partition {partition} of {topic} holds offsets {begins[tp]} to {ends[tp] - 1}"
            )
        starts[tp] = offset
    if selection.from_offsets:  # only the partitions named
        partitions = [tp for tp in partitions if tp.partition in selection.from_offsets]
        consumer.assign(partitions)
    for tp in partitions:
        consumer.seek(tp, starts[tp])
        progress.next_offsets[tp.partition] = starts[tp]
        progress.ends[tp.partition] = ends[tp]
        progress.total += max(0, ends[tp] - starts[tp])
    return partitions
