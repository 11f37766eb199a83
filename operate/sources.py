"""Read back from Kafka what `explain` tells: the decisions, and each notification's life from
the retry topics, the dead-letter topic, the delivery ledgers and the receipts.

Each topic is read as it stands at the moment of asking (broker/reading.py); the ledgers'
changelogs are compacted, so their latest entry per notification is what is left.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from broker.reading import latest_by_key, read_topic
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


def read_story(bootstrap: str, topics: Topics, timeout_s: float = 30.0) -> Story:
    """Everything `explain` needs, read from the topics as they stand now."""
    story = Story(decisions=list(read_decisions(bootstrap, topics.decisions, timeout_s)))
    history = story.history
    for record in story.decisions:
        history.decision(record)
    for channel in CHANNELS:
        for value in _values(bootstrap, topics.retry(channel), timeout_s):
            history.retry(RetryRecord.model_validate_json(value))
        ledger = latest_by_key(
            bootstrap, topics.ledger(channel), timeout_s=timeout_s, client_id=CLIENT_ID
        )
        for key, entry in ledger.items():
            history.ledger(key, entry)
    for value in _values(bootstrap, topics.deadletter, timeout_s):
        history.dead_letter(DeadLetter.model_validate_json(value))
    for value in _values(bootstrap, topics.receipts, timeout_s):
        history.receipt(DeliveryReceipt.model_validate_json(value))
    return story


def read_decisions(bootstrap: str, topic: str, timeout_s: float = 30.0) -> Iterator[DecisionRecord]:
    """Every decision record on the topic, oldest first per partition."""
    for value in _values(bootstrap, topic, timeout_s):
        yield DecisionRecord.model_validate_json(value)


def _values(bootstrap: str, topic: str, timeout_s: float) -> Iterator[bytes]:
    for record in read_topic(bootstrap, topic, timeout_s=timeout_s, client_id=CLIENT_ID):
        if record.value:
            yield record.value
