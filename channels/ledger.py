"""The delivery ledger: which notifications a provider accepted, and which it may have.

A channel worker consumes at least once, so after a crash, a rebalance or a replay it sees
messages it already delivered. The ledger is a faust table keyed by notification id, written
while the notification's message is processed, so its records land in the partition of the
messages they cover and are restored from the compacted changelog by whichever worker owns
that partition next. Each notification's entry is in one of five states:

- `sent` (`{"at", "id"}`): the provider accepted it; a redelivery is acknowledged unsent.
- `sending` (`{"sending": time}`): an attempt was about to go out. Written, and on Kafka,
  before the provider is called, for channels whose provider can be asked afterwards whether
  it has the message (`Sender.can_find`). Found in the ledger by a later attempt, it means the
  last attempt's answer never arrived (the worker died, or the request timed out): the worker
  asks the provider before it sends again (channels/worker.py).
- `refused` (`{"refused": time}`): the provider answered the last attempt with a refusal, so
  it does not have the message and the next attempt needs no question.
- `superseded` (`{"superseded": time, "by": id}`): a later message of the same order made it
  pointless while it waited for a retry (channels/order.py): never sent, not attempted again.
- `expired` (`{"expired": time}`): it was past its useful life (channels/lifetime.py) before
  the provider accepted it: never sent, not dead-lettered, and not attempted again.

Entries under `line:<customer>` (`{"line": [...]}`) are not notifications but a customer's
messages waiting on the retry topic, in order (channels/order.py); they never age out, and go
when the line is empty.

What stays open: providers that cannot be asked (web push, SMTP; SendGrid without Email
Activity access) are sent again in that window. docs/events.md says what happens where.

Each entry is about 100 bytes, on the changelog and in the worker's memory. Entries older than
`AFTERCART_LEDGER_KEEP_H` (192: longer than the 7 days any topic a message can be replayed from
keeps it) are pruned every `AFTERCART_LEDGER_PRUNE_EVERY_S`: removed from memory, and a
tombstone in their partition lets compaction drop them from the changelog. A message replayed
from further back than that would be sent again; no topic keeps one that long.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from datetime import datetime, timedelta
from typing import Any

import orjson

from channels.order import LINE_KEY

Entry = Mapping[str, Any]
# Queue one changelog record (partition, key, value; None: a tombstone); the awaitable it
# returns resolves once Kafka has it.
Write = Callable[[int, bytes, bytes | None], Awaitable[Awaitable[Any]]]
# Each notification's entry has one of these: when it was written.
STATES = ("at", "sending", "refused", "expired", "superseded")


def is_sent(entry: Entry | None) -> bool:
    """Whether the provider accepted this notification."""
    return entry is not None and "at" in entry


def is_expired(entry: Entry | None) -> bool:
    """Whether this notification ended unsent, past its useful life."""
    return entry is not None and "expired" in entry


def is_superseded(entry: Entry | None) -> bool:
    """Whether a later message of the same order ended this one unsent (channels/order.py)."""
    return entry is not None and "superseded" in entry


def sending_since(entry: Entry | None) -> datetime | None:
    """When an attempt whose answer never came went out, or None."""
    if entry is None or "sending" not in entry:
        return None
    return datetime.fromisoformat(entry["sending"])


class Ledger:
    """The ledger's entries (a faust table's store) and the writes to its changelog."""

    def __init__(
        self, data: MutableMapping[str, Any], write: Write, clock: Callable[[], datetime]
    ) -> None:
        self.data = data
        self._write = write
        self._clock = clock

    def entry(self, notification_id: str) -> Entry | None:
        """What the ledger knows of this notification."""
        return self.data.get(notification_id)

    async def sending(self, partition: int, notification_id: str) -> datetime:
        """Record that an attempt goes out now; returns once Kafka has the record."""
        now = self._clock()
        done = await self._put(partition, notification_id, {"sending": now.isoformat()})
        await done
        return now

    async def refused(self, partition: int, notification_id: str) -> None:
        """Record that the provider refused the last attempt (on Kafka before the commit)."""
        await self._put(partition, notification_id, {"refused": self._clock().isoformat()})

    async def expired(self, partition: int, notification_id: str) -> None:
        """Record that it ended unsent, past its useful life (on Kafka before the commit)."""
        await self._put(partition, notification_id, {"expired": self._clock().isoformat()})

    async def superseded(self, partition: int, notification_id: str, by: str) -> None:
        """Record that a later message (`by`) of the same order made this one pointless."""
        value = {"superseded": self._clock().isoformat(), "by": by}
        await self._put(partition, notification_id, value)

    def line(self, customer: str) -> list[dict[str, Any]]:
        """The customer's messages waiting on the retry topic, oldest first (channels/order.py)."""
        entry = self.data.get(LINE_KEY + customer)
        return list(entry["line"]) if entry else []

    async def set_line(self, partition: int, customer: str, line: list[dict[str, Any]]) -> None:
        """Keep the customer's line as it now is (none left: its entry goes)."""
        key = LINE_KEY + customer
        if line:
            await self._put(partition, key, {"line": line})
        elif key in self.data:
            del self.data[key]
            await self._write(partition, orjson.dumps(key), None)

    async def sent(self, partition: int, notification_id: str, provider_id: str | None) -> None:
        """Record that the provider accepted it (on Kafka before the message's commit)."""
        value = {"at": self._clock().isoformat(), "id": provider_id}
        await self._put(partition, notification_id, value)

    async def prune(self, keep: timedelta) -> int:
        """Forget every entry written more than `keep` ago; returns how many."""
        cutoff = self._clock() - keep
        old = [(nid, e.get("p")) for nid, e in self.data.items() if _written(e, cutoff) < cutoff]
        for nid, partition in old:
            del self.data[nid]
            if partition is not None:  # an entry of a version that did not keep it: memory only
                await self._write(partition, orjson.dumps(nid), None)
        return len(old)

    async def _put(self, partition: int, nid: str, value: dict[str, Any]) -> Awaitable[Any]:
        value["p"] = partition  # where its tombstone goes once it is pruned
        self.data[nid] = value
        return await self._write(partition, orjson.dumps(nid), orjson.dumps(value))


def _written(entry: Entry, otherwise: datetime) -> datetime:
    """When the entry was written (`otherwise` for one that does not say)."""
    stamp = next((entry[state] for state in STATES if state in entry), None)
    return datetime.fromisoformat(stamp) if isinstance(stamp, str) else otherwise
