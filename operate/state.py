"""What the pipeline knows now, read back from its compacted changelogs: each customer's
profile, preferences and waiting messages (the stream processor's tables) and each channel's
delivery ledger. A replay's dry run decides with it as the stream processor would."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from broker.reading import read_topic
from schemas.topics import CHANNELS, Topics

CLIENT_ID = "aftercart-replay"


@dataclass
class Known:
    """The tables' latest entries by key (a tombstone removes one)."""

    customers: dict[str, Any] = field(default_factory=dict)
    preferences: dict[str, Any] = field(default_factory=dict)
    plans: dict[str, Any] = field(default_factory=dict)
    ledgers: dict[str, dict[str, Any]] = field(default_factory=dict)


def read_known(bootstrap: str, topics: Topics, timeout_s: float = 120.0) -> Known:
    """Every table's latest entries, from its changelog as it stands now."""
    known = Known()
    for table in ("customers", "preferences", "plans"):
        setattr(known, table, dict(_latest(bootstrap, topics.changelog(table), timeout_s)))
    for channel in CHANNELS:
        known.ledgers[channel] = dict(_latest(bootstrap, topics.ledger(channel), timeout_s))
    return known


def _latest(bootstrap: str, topic: str, timeout_s: float) -> Iterator[tuple[str, Any]]:
    latest: dict[str, Any] = {}
    try:
        for record in read_topic(bootstrap, topic, timeout_s=timeout_s, client_id=CLIENT_ID):
            if record.key is None:
                continue
            key = orjson.loads(record.key)
            if record.value is None:
                latest.pop(key, None)
            else:
                latest[key] = orjson.loads(record.value)
    except RuntimeError as exc:
        if "does not exist" not in str(exc):
            raise  # a changelog not yet created: that table is empty
    yield from latest.items()
