"""Which customers have messages due: an index the stream processor's timer reads.

The waiting messages themselves live in the plans table (Kafka-backed); this index only says
when to look, is rebuilt from the table whenever the table is restored, and is safe to lose.
The timer turns due entries into wake-up records on a topic co-partitioned with the events,
so the firing happens inside the customer's partition like any event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

ASK_AGAIN = timedelta(seconds=30)  # a wake-up not answered by then (lost in a rebalance)


class DueIndex:
    """customer -> when their next waiting message is due."""

    def __init__(self) -> None:
        self._due: dict[str, datetime] = {}
        self._asked: dict[str, datetime] = {}

    def set(self, key: str, due: datetime | None) -> None:
        """The customer's next due time after their plan changed (None: nothing waits)."""
        self._asked.pop(key, None)
        if due is None:
            self._due.pop(key, None)
        else:
            self._due[key] = due

    def rebuild(self, entries: Iterable[tuple[str, datetime | None]]) -> None:
        """Start over from the plans table."""
        self._due.clear()
        self._asked.clear()
        for key, due in entries:
            self.set(key, due)

    def take(self, now: datetime) -> list[str]:
        """Customers to wake now: due, and not asked in the last ASK_AGAIN."""
        ready = []
        for key, due in self._due.items():
            asked = self._asked.get(key)
            if due <= now and (asked is None or now - asked >= ASK_AGAIN):
                ready.append(key)
                self._asked[key] = now
        return ready

    def __len__(self) -> int:
        return len(self._due)
