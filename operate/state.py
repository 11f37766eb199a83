"""What the pipeline knows now, read back from its compacted changelogs: each customer's
profile, preferences and waiting messages (the stream processor's tables) and each channel's
delivery ledger. A replay's dry run decides with it as the stream processor would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from broker.reading import latest_by_key
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
        entries = latest_by_key(
            bootstrap, topics.changelog(table), timeout_s=timeout_s, client_id=CLIENT_ID
        )
        setattr(known, table, entries)
    for channel in CHANNELS:
        known.ledgers[channel] = latest_by_key(
            bootstrap, topics.ledger(channel), timeout_s=timeout_s, client_id=CLIENT_ID
        )
    return known
