"""Which records of a topic a replay takes, and what each record is about.

A replay names a declared topic by its short name (`events`, `notify.email`...) or its full
one, and selects by record time (`--since`, `--until`), by place (`--from-offset P:O`), and
by what a record is about: its customer, its order (id or number) and its type. Pure: the
records are read by operate/scan.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import orjson

from schemas.topics import CHANNELS, Topics

Kind = Literal["events", "notify"]
NOT_REPLAYABLE = {
    "deadletter": "dead letters are put back with `aftercart dlq redrive`",
    "decisions": "decisions are the record of what happened: replay `events` to decide again",
    "receipts": "receipts are the providers' reports: nothing to send again",
}


@dataclass(frozen=True)
class Source:
    """A replayable topic: its full name, and whether it holds events or notifications."""

    name: str
    kind: Kind
    channel: str | None = None


@dataclass(frozen=True)
class About:
    """What one record is about; None where it does not say."""

    customer: str | None
    order_id: str | None
    order_number: str | None
    type: str | None
    notification_id: str | None = None


@dataclass(frozen=True)
class Selection:
    """What a replay takes; an empty field selects everything."""

    since: datetime | None = None
    until: datetime | None = None
    from_offsets: dict[int, int] = field(default_factory=dict)
    customers: frozenset[str] = frozenset()
    orders: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()

    def takes(self, about: About | None) -> bool:
        """Whether a record about this is selected (time and place are the reader's); one that
        cannot be read (None) only when nothing about its content is asked for."""
        if about is None:
            return not (self.customers or self.orders or self.types)
        if self.customers and about.customer not in self.customers:
            return False
        if self.orders and not self.orders & _order_names(about):
            return False
        return not self.types or about.type in self.types

    def describe(self) -> dict[str, Any]:
        """The selection as the replay header and the summary tell it."""
        told: dict[str, Any] = {}
        if self.since:
            told["since"] = self.since.isoformat()
        if self.until:
            told["until"] = self.until.isoformat()
        if self.from_offsets:
            told["from_offsets"] = {str(p): o for p, o in sorted(self.from_offsets.items())}
        for name in ("customers", "orders", "types"):
            if values := getattr(self, name):
                told[name] = sorted(values)
        return told


def source(name: str, topics: Topics) -> Source:
    """The replayable topic a short or full name means; ValueError saying which exist."""
    short = name.removeprefix(f"{topics.prefix}.")
    if short == "events":
        return Source(topics.events, "events")
    for channel in CHANNELS:
        if short == f"notify.{channel}":
            return Source(topics.notify(channel), "notify", channel)
    if short in NOT_REPLAYABLE:
        raise ValueError(f"{name}: {NOT_REPLAYABLE[short]}")
    known = ", ".join(["events", *(f"notify.{c}" for c in CHANNELS)])
    raise ValueError(f"unknown topic {name!r}; replayable: {known} (or their full names)")


def parse_offset(text: str) -> tuple[int, int]:
    """`PARTITION:OFFSET`; ValueError naming the form otherwise."""
    partition, sep, offset = text.strip().partition(":")
    if not sep or not partition.isdigit() or not offset.isdigit():
        raise ValueError(f"{text!r} is not PARTITION:OFFSET (such as 0:1200)")
    return int(partition), int(offset)


def about(kind: Kind, value: bytes | None) -> About | None:
    """What a record of this kind of topic is about; None if it cannot be read."""
    try:
        found = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None
    if not isinstance(found, dict):
        return None
    data = found.get("data")
    data = data if isinstance(data, dict) else {}
    if kind == "events":
        customer = data.get("customer_id") or found.get("partitionkey")
        return About(customer, data.get("order_id"), data.get("order_number"), found.get("type"))
    event = data.get("event")
    event = event if isinstance(event, dict) else {}
    return About(
        found.get("customer_id"),
        event.get("order_id"),
        event.get("order_number"),
        found.get("event_type"),
        found.get("notification_id"),
    )


def _order_names(about: About) -> set[str]:
    """Every way an operator may name the record's order: its id, the id's last part, its
    number with and without `#`."""
    names: set[str] = set()
    if about.order_id:
        names |= {about.order_id, about.order_id.rsplit("/", 1)[-1]}
    if about.order_number:
        names |= {about.order_number, about.order_number.lstrip("#")}
    return names
