"""A replay counts as put back only what Kafka acknowledged, and says when it did not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from test_replay_pace import Clock
from test_replay_scan import FakeConsumer
from test_replay_selection import judge, request

from operate.pace import Pace
from operate.replay import Tally
from operate.republish import NotAcknowledged, Run, replay
from operate.scan import Progress
from operate.selection import Selection
from operate.state import Known
from schemas.codec import encode


class Refused:
    """A send Kafka did not acknowledge: its errback is called at once."""

    def add_errback(self, errback: Callable[[BaseException], Any]) -> None:
        errback(TimeoutError("KafkaTimeoutError: no acknowledgement"))


class Taken:
    def add_errback(self, errback: Callable[[BaseException], Any]) -> None:
        pass


class FakeProducer:
    """Takes every record but the second of each partition."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []

    def send(self, topic: str, value: bytes, key: bytes, headers: Any, partition: int) -> Any:
        self.sent.append((topic, partition))
        return Refused() if len(self.sent) % 2 == 0 else Taken()

    def flush(self, timeout: float) -> None:
        pass

    def close(self) -> None:
        pass


class TakesAll(FakeProducer):
    def send(self, topic: str, value: bytes, key: bytes, headers: Any, partition: int) -> Any:
        self.sent.append((topic, partition))
        return Taken()


class Notifications(FakeConsumer):
    """notify.email with a readable notification in every record."""

    def poll(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[ConsumerRecord]]:
        found = super().poll(timeout_ms, max_records)
        value = encode(request())
        return {tp: [r._replace(value=value) for r in records] for tp, records in found.items()}


def test_records_kafka_refused_are_not_counted_as_put_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    producer = FakeProducer()
    monkeypatch.setattr("operate.scan.open_consumer", lambda *a, **c: Notifications({0: 2, 1: 2}))
    monkeypatch.setattr("operate.republish._producer", lambda bootstrap: producer)
    run = Run("kafka:9092", Selection(), judge(Known()), "r-1", "ops", "now", dry_run=False)
    tally = Tally()
    with pytest.raises(NotAcknowledged, match="Kafka did not take 2 records put back"):
        replay(run, tally, Progress())
    assert len(producer.sent) == 4
    assert (tally.selected, tally.published) == (4, 2)


def test_a_dry_run_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("operate.scan.open_consumer", lambda *a, **c: Notifications({0: 2}))
    run = Run("kafka:9092", Selection(), judge(Known()), "r-1", "ops", "now")
    tally = Tally()
    replay(replace(run, dry_run=True), tally, Progress())
    assert (tally.selected, tally.published, tally.would_send) == (2, 0, 2)


def test_a_replay_with_a_rate_puts_records_back_no_faster(monkeypatch: pytest.MonkeyPatch) -> None:
    producer, clock = TakesAll(), Clock()
    monkeypatch.setattr("operate.scan.open_consumer", lambda *a, **c: Notifications({0: 3, 1: 3}))
    monkeypatch.setattr("operate.republish._producer", lambda bootstrap: producer)
    monkeypatch.setattr("operate.republish.Pace", lambda rate: Pace(rate, clock, clock.sleep))
    run = Run("kafka:9092", Selection(), judge(Known()), "r-1", "ops", "now", False, rate=2)
    replay(run, Tally(), Progress())
    # six records at two a second: the last goes 2.5 s after the first
    assert len(producer.sent) == 6
    assert clock.now == pytest.approx(102.5)
