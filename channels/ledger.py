"""The delivery ledger: which notifications a provider already accepted, per customer.

A channel worker consumes at least once, so after a crash, a rebalance or a replay it sees
messages it already delivered. Before each send it asks the ledger; after the provider
accepts, it writes the notification there. The ledger is a faust table keyed like the
notification topic (by customer), so it lives in the partition of the messages it covers and
is restored from its compacted changelog by whichever worker owns that partition next.

One window cannot be closed: the provider accepted, and the worker dies before the ledger's
changelog record reaches Kafka (milliseconds: the record is queued the moment the provider
answers, and faust flushes it before it commits the message's offset). Providers offer no
idempotency key to close it (SendGrid, Twilio and web push alike), so in that window the
message is sent again on redelivery. docs/events.md says so too.

An entry per customer keeps the notifications of the last `keep` (default 30 days), longer
than any topic is retained, so a replay of anything still on Kafka is recognized.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

Entry = dict[str, Any]  # notification id -> {"at": ISO time, "id": provider's id}
KEEP = timedelta(days=30)


def delivered(entry: Entry | None, notification_id: str) -> bool:
    """Whether this notification was already accepted by the provider."""
    return bool(entry) and notification_id in entry  # type: ignore[operator]


def record(
    entry: Entry | None,
    notification_id: str,
    provider_id: str | None,
    now: datetime,
    keep: timedelta = KEEP,
) -> Entry:
    """The entry with this notification added and anything older than `keep` dropped."""
    horizon = now - keep
    kept = {
        nid: seen
        for nid, seen in (entry or {}).items()
        if datetime.fromisoformat(seen["at"]) > horizon
    }
    kept[notification_id] = {"at": now.isoformat(), "id": provider_id}
    return kept
