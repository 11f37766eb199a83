"""Run a replay: read the selection, judge each record, and (unless a dry run) put it back.

Records are written with kafka-python (acks=all, idempotent) to the partition they were read
from. Kafka has every record put back before the replay returns; a replay stopped half way
(Ctrl-C) says where each partition got to, and running it again is safe: what was sent is not
sent again (the delivery ledgers), and `--resend` ids are the same each time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from kafka import KafkaProducer

from operate.pace import Pace
from operate.replay import HEADER, Judge, Tally
from operate.scan import Progress, scan
from operate.selection import Selection, Source, about
from operate.state import read_known
from runtime.settings import Settings
from schemas.replay import replay_of
from schemas.topics import Topics
from streams.policy import policy_from

Tick = Callable[[Progress], None]


@dataclass(frozen=True)
class Run:
    """One replay: where from, what, by whom, and whether it writes."""

    bootstrap: str
    selection: Selection
    judge: Judge
    replay_id: str
    by: str
    at: str
    dry_run: bool = True
    rate: float | None = None  # records put back per second, at most; None: as fast as it can

    def header(self) -> bytes:
        """The `aftercart-replay` header every record put back carries."""
        told: dict[str, Any] = {"id": self.replay_id, "by": self.by, "at": self.at}
        told["selection"] = self.selection.describe()
        if self.judge.resend is not None:
            told["resend"] = self.judge.resend
        return orjson.dumps(told)


class NotAcknowledged(RuntimeError):
    """Kafka did not acknowledge some records put back; the message says how many and why."""


def prepare(
    settings: Settings,
    topics: Topics,
    chosen: Source,
    selection: Selection,
    *,
    by: str,
    now: datetime,
    dry_run: bool,
    resend: str | None = None,
    show: int = 0,
    rate: float | None = None,
) -> Run:
    """A replay of `chosen` ready to run: judged with what the pipeline knows now (its
    tables' changelogs and the ledgers, read here) by the stream processor's own rules;
    `resend` the tag of a --resend, `show` how many messages to keep rendered."""
    judge = Judge(
        chosen,
        read_known(settings.kafka_bootstrap, topics),
        policy_from(settings),
        now,
        resend=resend,
        show=show,
    )
    replay_id = f"r-{uuid.uuid4().hex[:12]}"
    return Run(
        settings.kafka_bootstrap, selection, judge, replay_id, by, now.isoformat(), dry_run, rate
    )


def replay(run: Run, tally: Tally, progress: Progress, tick: Tick = lambda p: None) -> None:
    """Read, judge and (unless a dry run) put back the selected records; `tally` and
    `progress` say how far it got, also when it is stopped. NotAcknowledged if Kafka refused
    any record put back (`tally.published` then counts only those it took, and `progress`
    goes on from the first refused record of each partition: a replay stopped while records
    were in flight must not say it is past one Kafka did not take)."""
    source = run.judge.source
    producer = None if run.dry_run else _producer(run.bootstrap)
    header = [(HEADER, run.header())]
    refused: list[tuple[int, int, BaseException]] = []  # by the producer's I/O thread
    pace = Pace(run.rate)
    try:
        for n, record in enumerate(scan(run.bootstrap, source.name, run.selection, progress)):
            tally.read += 1
            if n % 2000 == 0:
                tick(progress)
            if replay_of(record.headers) is not None:
                continue  # a copy an earlier replay put back: the original is replayed
            if not run.selection.takes(about(source.kind, record.value)):
                continue
            tally.selected += 1
            if source.kind == "notify":
                value = run.judge.notification(record.value, tally)
            else:
                run.judge.event(record.value, tally)
                value = record.value
            if producer is not None and value is not None:
                pace.wait()
                sent = producer.send(
                    source.name, value, record.key, header, partition=record.partition
                )
                at = (record.partition, record.offset)
                sent.add_errback(lambda exc, at=at: refused.append((*at, exc)))
                tally.published += 1
        tick(progress)
    finally:
        if producer is not None:
            producer.flush(60)
            producer.close()
            tally.published -= len(refused)
            for partition, offset, _ in refused:
                going_on = progress.next_offsets.get(partition, offset)
                progress.next_offsets[partition] = min(going_on, offset)
    if refused:
        raise NotAcknowledged(
            f"Kafka did not take {len(refused)} records put back: {refused[0][2]!r}; "
            "running the same replay again is safe"
        )


def _producer(bootstrap: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        client_id="aftercart-replay",
    )
