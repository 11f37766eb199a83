"""Read the dead-letter topic, and put dead letters back where they failed.

Each redrive writes the dead letter where operate/deadletters.py says it goes, with an
`aftercart-redrive` header (which dead letter, who, when), then marks it redriven on
`<prefix>.deadletter.redriven` (compacted, keyed by its id), so `aftercart dlq list` hides it.
Kafka acknowledges both (acks=all) before the redrive counts. Redriving the same dead letter
again is safe: a notification goes through its channel worker's delivery ledger, and an
event's notifications have the ids they had the first time, so nothing is sent twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
from kafka import KafkaProducer
from pydantic import ValidationError

from broker.admin import create_topics
from broker.reading import read_topic
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
        for nid, to in outcome.redriven.items():
            header = orjson.dumps({"dead_letter": nid, "by": by, "at": now.isoformat()})
            producer.send(
                to.topic,
                key=to.key,
                value=to.value,
                partition=to.partition,
                headers=[(HEADER, header)],
            ).get(timeout=30)
            mark = {"at": now.isoformat(), "by": by, "topic": to.topic, "partition": to.partition}
            producer.send(topics.redriven, key=nid.encode(), value=orjson.dumps(mark))
        producer.flush(30)
    finally:
        producer.close()
    return outcome


def _marks(bootstrap: str, topics: Topics, timeout_s: float) -> Iterator[tuple[str, Redriven]]:
    try:
        records = list(
            read_topic(bootstrap, topics.redriven, timeout_s=timeout_s, client_id=CLIENT_ID)
        )
    except RuntimeError as exc:
        if "does not exist" in str(exc):
            return  # nothing was ever redriven
        raise
    for record in records:
        if record.key and record.value:
            mark = orjson.loads(record.value)
            at = datetime.fromisoformat(mark["at"])
            yield record.key.decode(), Redriven(at, mark["by"], mark["topic"], mark["partition"])
