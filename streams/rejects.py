"""A message a streams agent cannot read goes to the dead-letter topic, and the stream goes on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

import faust
from faust.types import EventT

from runtime.apps import dead_letter_of, produce
from schemas.codec import InvalidMessage
from schemas.topics import Topics

T = TypeVar("T")
Reject = Callable[[EventT, str], Awaitable[None]]


def as_received(read: Callable[..., T], message: EventT) -> Callable[[bytes], T]:
    """`read` (decode_event) given when Kafka took the message, its record's timestamp: the
    time of an event sent without one (schemas/events.py, `timeassigned`)."""
    return partial(read, received=datetime.fromtimestamp(message.message.timestamp, UTC))


def rejecter(app: faust.App, topics: Topics) -> Reject:
    """Dead-letter a message with the reason, through the app's producer."""

    async def reject(message: EventT, reason: str) -> None:
        record = dead_letter_of(message, reason, "streams")
        await produce(app, topics.deadletter, message.key, record)

    return reject


async def read_or_reject(message: EventT, read: Callable[[bytes], T], reject: Reject) -> T | None:
    """The message's value as `read` reads it; None once `read` refused it (InvalidMessage)
    and the message was dead-lettered with the reason."""
    try:
        return read(message.value)
    except InvalidMessage as exc:
        await reject(message, exc.reason)
        return None
