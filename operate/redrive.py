"""Read the dead-letter topic, and put dead letters back where they failed.

Each redrive writes the dead letter where operate/deadletters.py says it goes, with an
`aftercart-redrive` header (which dead letter, who, when), then marks it redriven on
`<prefix>.deadletter.redriven` (compacted, keyed by its id), so `aftercart dlq list` hides it.
Kafka acknowledges both (acks=all) before the redrive counts. Redriving the same dead letter
again is safe: a notification goes through its channel worker's delivery ledger, and an
event's notifications have the ids they had the first time, so nothing is sent twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from kafka import KafkaProducer
from pydantic import ValidationError

from broker.admin import create_topics
from broker.reading import latest_by_key, read_topic
from operate.deadletters import Entry, Redriven, Target, entry_id, target
from schemas.deadletter import DeadLetter
from schemas.topics import Topics

HEADER = "aftercart-redrive"
CLIENT_ID = "aftercart-dlq"
Clock = Callable[[], datetime]


def read_entries(bootstrap: str, topics: Topics, timeout_s: float = 30.0) -> list[Entry]:
    """Every dead letter on the topic, oldest first per partition, with its redrive if any;
    records that are not dead letters are passed over."""
    marks = dict(_marks(bootstrap, topics, timeout_s))
    entries = []
    for record in read_topic(
        bootstrap, topics.deadletter, timeout_s=timeout_s, client_id=CLIENT_ID
    ):
        try:
            letter = DeadLetter.model_validate_json(record.value or b"")
        except ValidationError:
            continue
        nid = entry_id(record.partition, record.offset)
        entries.append(Entry(nid, letter, marks.get(nid)))
    return entries


@dataclass
class Outcome:
    """What a redrive did: the dead letters put back and where, and those it could not."""

    redriven: dict[str, Target] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def select(
    entries: Iterable[Entry],
    *,
    ids: Collection[str] = (),
    reason: str = "",
    since: datetime | None = None,
    redriven_too: bool = False,
) -> list[Entry]:
    """The dead letters a redrive takes: those named by id, whose reason holds `reason`
    (any case), that failed since `since`, all that hold; those redriven already only with
    `redriven_too`."""
    return [
        e
        for e in entries
        if (redriven_too or e.redriven is None)
        and (not ids or e.id in ids)
        and (not reason or reason.lower() in e.record.reason.lower())
        and (since is None or e.record.failed_at >= since)
    ]


def summary(selected: int, outcome: Outcome, *, dry_run: bool) -> dict[str, Any]:
    """What a redrive (or its dry run) did, as `aftercart dlq redrive --json` prints it."""
    by_topic: dict[str, int] = {}
    for to in outcome.redriven.values():
        by_topic[to.topic] = by_topic.get(to.topic, 0) + 1
    return {
        "selected": selected,
        "dry_run": dry_run,
        "redriven": 0 if dry_run else len(outcome.redriven),
        "would_redrive": len(outcome.redriven),
        "by_topic": by_topic,
        "skipped": outcome.skipped,
        "ids": sorted(outcome.redriven),
    }


def decoded(original: bytes) -> Any:
    """A dead letter's original payload: JSON when it is, else text."""
    try:
        return orjson.loads(original)
    except ValueError:
        return original.decode("utf-8", "backslashreplace")


def plan(entries: Iterable[Entry], topics: Topics, now: datetime) -> Outcome:
    """Where each dead letter would go, without writing anything (a dry run)."""
    outcome = Outcome()
    for entry in entries:
        try:
            outcome.redriven[entry.id] = target(entry, topics, now)
        except ValueError as exc:
            outcome.skipped[entry.id] = str(exc)
    return outcome


def redrive(
    bootstrap: str,
    topics: Topics,
    entries: Iterable[Entry],
    by: str,
    clock: Clock = lambda: datetime.now(UTC),
) -> Outcome:
    """Put the dead letters back and mark them; returns once Kafka has every record."""
    now = clock()
    outcome = plan(entries, topics, now)
    if not outcome.redriven:
        return outcome
    create_topics(bootstrap, [s for s in topics.all() if s.name == topics.redriven])
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, client_id=CLIENT_ID
    )
    try:
        # Every record put back is on Kafka before any is marked: a failure in between leaves
        # dead letters listed that were redriven (safe to redrive again), never the reverse.
        told: dict[str, Any] = {"by": by, "at": now.isoformat()}
        put_back = []
        for nid, to in outcome.redriven.items():
            header = [(HEADER, orjson.dumps(told | {"dead_letter": nid}))]
            put_back.append(
                producer.send(to.topic, to.value, to.key, header, partition=to.partition)
            )
        _acknowledged(producer, put_back)
        marked = []
        for nid, to in outcome.redriven.items():
            mark = orjson.dumps(told | {"topic": to.topic, "partition": to.partition})
            marked.append(producer.send(topics.redriven, mark, nid.encode()))
        _acknowledged(producer, marked)
    finally:
        producer.close()
    return outcome


def _acknowledged(producer: KafkaProducer, futures: list[Any]) -> None:
    """Block until Kafka has every record; raise the broker's error for any it refused."""
    producer.flush(30)
    for future in futures:
        future.get(timeout=0)


def _marks(bootstrap: str, topics: Topics, timeout_s: float) -> Iterator[tuple[str, Redriven]]:
    marks = latest_by_key(
        bootstrap, topics.redriven, timeout_s=timeout_s, client_id=CLIENT_ID, key=bytes.decode
    )
    for nid, mark in marks.items():
        at = datetime.fromisoformat(mark["at"])
        yield nid, Redriven(at, mark["by"], mark["topic"], mark["partition"])
