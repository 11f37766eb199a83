"""The dead-letter topic as an operator sees it: each dead letter by its place on the topic
(`PARTITION:OFFSET`), grouped by stage and reason, and where a redrive would put it back.

Pure: the records are read by operate/redrive.py. Where a dead letter goes back:
- a notification a channel worker gave up on goes to its channel's retry topic as a retry
  record due now, with every attempt so far, in the partition it came from (the ledger's), so
  the worker's ledger decides (nothing already sent is sent again) and, should it fail again,
  it is dead-lettered again with its whole history;
- a message the stream processor or a channel worker could not read goes back, as it was, to
  the topic and partition it came from, to be read by code that can now;
- a webhook the gateway could not map is not on Kafka in a form the pipeline reads: it cannot
  be redriven (fix the mapping and have the shop redeliver it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from schemas.codec import InvalidMessage, decode_notification, encode
from schemas.deadletter import DeadLetter
from schemas.retry import RETRY_VERSION, Origin, RetryRecord
from schemas.topics import CHANNELS, Topics


@dataclass(frozen=True)
class Redriven:
    """That a dead letter was put back: when, by whom, where to."""

    at: datetime
    by: str
    topic: str
    partition: int | None = None


@dataclass(frozen=True)
class Entry:
    """One dead letter, by its place on the dead-letter topic."""

    id: str
    record: DeadLetter
    redriven: Redriven | None = None


@dataclass(frozen=True)
class Target:
    """Where a redrive puts one dead letter back, and the bytes it writes there."""

    topic: str
    partition: int | None
    key: bytes | None
    value: bytes


@dataclass
class Group:
    """Dead letters of one stage and reason: their ids, and when the newest and the oldest
    failed."""

    stage: str
    reason: str
    newest: datetime
    oldest: datetime
    ids: list[str] = field(default_factory=list)


def entry_id(partition: int, offset: int) -> str:
    """A dead letter's id: where it stands on the dead-letter topic."""
    return f"{partition}:{offset}"


def parse_id(text: str) -> str:
    """A dead letter id as typed (`1:42`); ValueError naming the form otherwise."""
    partition, sep, offset = text.strip().partition(":")
    if not sep or not partition.isdigit() or not offset.isdigit():
        raise ValueError(f"{text!r} is not a dead letter id (PARTITION:OFFSET, such as 1:42)")
    return entry_id(int(partition), int(offset))


def groups(entries: Iterable[Entry]) -> list[Group]:
    """Dead letters counted by stage and reason, the group with the newest first."""
    found: dict[tuple[str, str], Group] = {}
    for entry in entries:
        record = entry.record
        at = record.failed_at
        group = found.setdefault(
            (record.stage, record.reason), Group(record.stage, record.reason, at, at)
        )
        group.ids.append(entry.id)
        group.newest = max(group.newest, record.failed_at)
        group.oldest = min(group.oldest, record.failed_at)
    return sorted(found.values(), key=lambda g: g.newest, reverse=True)


def target(entry: Entry, topics: Topics, now: datetime) -> Target:
    """Where a redrive puts this dead letter back; ValueError saying why it cannot be."""
    record = entry.record
    key = record.key.encode() if record.key is not None else None
    if record.stage.startswith("channel-") and record.attempts:
        try:
            request = decode_notification(record.original())
        except InvalidMessage as exc:
            raise ValueError(f"its notification cannot be read: {exc.reason}") from None
        origin = Origin(
            topic=record.topic, partition=record.partition or 0, offset=record.offset or 0
        )
        retry = RetryRecord(
            version=RETRY_VERSION,
            request=request,
            attempts=record.attempts,
            not_before=now,
            origin=origin,
        )
        channel = request.channel
        return Target(topics.retry(channel), record.partition, key, encode(retry))
    if record.stage == "streams" or record.stage.startswith("channel-"):
        if record.topic not in _pipeline_topics(topics):
            raise ValueError(f"it came from {record.topic}, not a topic of this pipeline")
        return Target(record.topic, record.partition, key, record.original())
    raise ValueError(
        f"a {record.stage} dead letter holds a payload the gateway could not map: fix the "
        "mapping, then have the shop redeliver it"
    )


def _pipeline_topics(topics: Topics) -> set[str]:
    names = {topics.events, topics.orders, topics.purchases, topics.wakeups}
    return names | {topics.notify(c) for c in CHANNELS} | {topics.retry(c) for c in CHANNELS}
