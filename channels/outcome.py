"""What became of one message, and what a channel worker publishes because of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from channels.messages import Receipt
from schemas.codec import encode
from schemas.events import CloudEvent
from schemas.notification import NotificationRequest
from schemas.topics import Topics

Record = tuple[str, bytes | None, bytes, int | None]  # topic, key, value, partition


@dataclass(frozen=True)
class Outcome:
    """What became of one message: delivered (receipt), already delivered (skipped), to be
    tried again (retry: the record for the retry topic), kept on the dead-letter topic
    (dead), or past its useful life unsent (expired), with what the provider said about the
    contact point."""

    request: NotificationRequest | None = None
    receipt: Receipt | None = None
    skipped: bool = False
    suppressed: bytes | None = None  # a replay's already-sent message, as a decision record
    found: bool = False  # the provider had it from an attempt whose answer was lost
    retry: bytes | None = None
    dead: bytes | None = None
    expired: bool = False  # past its useful life: not sent, recorded in the ledger
    superseded: bool = False  # a later message of its order ended it unsent (channels/order.py)
    due: datetime | None = None  # with retry: when the next attempt is due
    feedback: CloudEvent | None = None  # contact.failed, for the stream processor to act on


def follow_ups(
    outcome: Outcome, topics: Topics, channel: str, key: bytes | None, partition: int
) -> list[Record]:
    """What to publish once a message of `partition` (under `key`) is handled, in this order:
    the provider's word on the contact point, for the stream processor, keyed by customer;
    the retry record, in the message's own partition (the retry topic is co-partitioned with
    the ledger); the dead letter; a replay's suppression, for the decisions topic."""
    records: list[Record] = []
    if outcome.feedback is not None:
        feedback = outcome.feedback
        records.append((topics.events, feedback.partitionkey.encode(), encode(feedback), None))
    if outcome.retry is not None:
        records.append((topics.retry(channel), key, outcome.retry, partition))
    if outcome.dead is not None:
        records.append((topics.deadletter, None, outcome.dead, None))
    if outcome.suppressed is not None:
        records.append((topics.decisions, key, outcome.suppressed, None))
    return records
