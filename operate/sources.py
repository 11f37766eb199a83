"""Read back from Kafka what `explain` tells: the decisions, and each notification's life from
the retry topics, the dead-letter topic, the delivery ledgers and the receipts.

`folds` says what each topic's records tell; `read_story` reads each topic as it stands at the
moment of asking (broker/reading.py), and operate/follow.py keeps reading them as they grow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import orjson

from broker.reading import MissingTopic, read_topic
from operate.history import History
from schemas.deadletter import DeadLetter
from schemas.decision import DecisionRecord
from schemas.receipt import DeliveryReceipt
from schemas.retry import RetryRecord
from schemas.topics import CHANNELS, Topics

CLIENT_ID = "aftercart-explain"


@dataclass
class Story:
    """Every decision, and the history of every notification they sent."""

    decisions: list[DecisionRecord] = field(default_factory=list)
    history: History = field(default_factory=History)

    def decided(self, value: bytes) -> None:
        """A decision record as read from its topic, in the order read."""
        record = DecisionRecord.model_validate_json(value)
        self.decisions.append(record)
        self.history.decision(record)


# What one record (its key and value; never a tombstone) tells the story.
Fold = Callable[[Story, bytes | None, bytes], None]


def folds(topics: Topics) -> dict[str, Fold]:
    """Each topic `explain` reads, with what its records tell; decisions first."""
    found: dict[str, Fold] = {topics.decisions: _decision}
    for channel in CHANNELS:
        found[topics.retry(channel)] = _retry
        found[topics.ledger(channel)] = _ledger
    found[topics.deadletter] = _dead_letter
    found[topics.receipts] = _receipt
    return found


def read_story(bootstrap: str, topics: Topics, timeout_s: float = 30.0) -> Story:
    """Everything `explain` needs, read from the topics as they stand now (a delivery ledger
    that was never written to tells nothing)."""
    story = Story()
    for topic, fold in folds(topics).items():
        try:
            for record in read_topic(bootstrap, topic, timeout_s=timeout_s, client_id=CLIENT_ID):
                if record.value:
                    fold(story, record.key, record.value)
        except MissingTopic:
            if topic == topics.decisions:
                raise
    return story


def read_decisions(bootstrap: str, topic: str, timeout_s: float = 30.0) -> Iterator[DecisionRecord]:
    """Every decision record on the topic, oldest first per partition."""
    for record in read_topic(bootstrap, topic, timeout_s=timeout_s, client_id=CLIENT_ID):
        if record.value:
            yield DecisionRecord.model_validate_json(record.value)


def _decision(story: Story, key: bytes | None, value: bytes) -> None:
    story.decided(value)


def _retry(story: Story, key: bytes | None, value: bytes) -> None:
    story.history.retry(RetryRecord.model_validate_json(value))


def _ledger(story: Story, key: bytes | None, value: bytes) -> None:
    # Faust's changelog: the notification id as a JSON key, the entry as a JSON value.
    if key is not None:
        story.history.ledger(orjson.loads(key), orjson.loads(value))


def _dead_letter(story: Story, key: bytes | None, value: bytes) -> None:
    story.history.dead_letter(DeadLetter.model_validate_json(value))


def _receipt(story: Story, key: bytes | None, value: bytes) -> None:
    story.history.receipt(DeliveryReceipt.model_validate_json(value))
