"""Read a topic back as it stands now: every record from a point in time (or the beginning)
up to the end offsets at the moment of asking. For tools that rebuild state or tell a story
(the gateway's de-duplication memory, `aftercart explain`), not for pipeline consumers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError


class MissingTopic(RuntimeError):
    """The topic asked for does not exist (yet): for a changelog or a marks topic, nothing
    was ever written to it."""


def open_consumer(bootstrap: str, client_id: str, **config: Any) -> KafkaConsumer:
    """A consumer outside any group, for reading topics back; RuntimeError naming the address
    if Kafka cannot be reached."""
    try:
        return KafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            client_id=client_id,
            **({"fetch_max_bytes": 16 * 1024 * 1024} | config),
        )
    except KafkaError as exc:
        raise RuntimeError(f"cannot reach Kafka at {bootstrap}: {exc}") from None


def latest_by_key(
    bootstrap: str,
    topic: str,
    *,
    timeout_s: float = 60.0,
    client_id: str = "aftercart-reader",
    key: Callable[[bytes], Any] = orjson.loads,
) -> dict[Any, Any]:
    """A compacted topic of JSON values as it stands: each key's latest value (a tombstone
    removes the key), keys read by `key` (JSON, as faust's changelogs write them); empty
    when the topic was never created."""
    latest: dict[Any, Any] = {}
    try:
        for record in read_topic(bootstrap, topic, timeout_s=timeout_s, client_id=client_id):
            if record.key is None:
                continue
            name = key(record.key)
            if record.value is None:
                latest.pop(name, None)
            else:
                latest[name] = orjson.loads(record.value)
    except MissingTopic:
        pass
    return latest


def read_topic(
    bootstrap: str,
    topic: str,
    *,
    since_ms: int | None = None,
    timeout_s: float = 60.0,
    client_id: str = "aftercart-reader",
) -> Iterator[ConsumerRecord]:
    """Records of `topic` written since `since_ms` (epoch ms; None: all), in order per
    partition; raise RuntimeError if Kafka is missing, MissingTopic if the topic is, and
    TimeoutError if reading is slow."""
    consumer = open_consumer(bootstrap, client_id)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            raise MissingTopic(f"topic {topic} does not exist")
        consumer.assign(partitions)
        ends = consumer.end_offsets(partitions)
        if since_ms is None:
            consumer.seek_to_beginning()
        else:
            starts = consumer.offsets_for_times(dict.fromkeys(partitions, since_ms))
            for tp in partitions:
                found = starts.get(tp)
                consumer.seek(tp, found.offset if found is not None else ends[tp])
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} back took over {timeout_s:.0f} s")
            for records in consumer.poll(timeout_ms=500, max_records=5000).values():
                yield from records
    finally:
        consumer.close()
