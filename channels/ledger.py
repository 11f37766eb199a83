"""The delivery ledger: which notifications a provider already accepted.

A channel worker consumes at least once, so after a crash, a rebalance or a replay it sees
messages it already delivered. Before each send it asks the ledger; after the provider
accepts, it writes the notification there. The ledger is a faust table keyed by notification
id and written while the notification's message is processed, so its records land in the
partition of the messages they cover (faust writes a table's changelog to the partition of the
message being processed) and are restored from the compacted changelog by whichever worker
owns that partition next.

One window cannot be closed: the provider accepted, and the worker dies before the ledger's
changelog record reaches Kafka, or before the provider's answer reaches the worker. Providers
offer no idempotency key to close it (SendGrid, Twilio and web push alike), so in that window
the message is sent again on redelivery. docs/events.md says so too.

Each entry is small (the time and the provider's id). Entries are not yet pruned: the
changelog keeps one record per notification ever sent and the worker holds them in memory,
about 100 bytes each (a million notifications: about 100 MB per channel worker).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

Ledger = Mapping[str, Any]  # notification id -> {"at": ISO time, "id": provider's id}


def delivered(ledger: Ledger | None, notification_id: str) -> bool:
    """Whether this notification was already accepted by the provider."""
    return ledger is not None and ledger.get(notification_id) is not None


def entry(provider_id: str | None, now: datetime) -> dict[str, Any]:
    """What the ledger keeps of a notification the provider accepted."""
    return {"at": now.isoformat(), "id": provider_id}
