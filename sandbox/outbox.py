"""What the sandbox received: every accepted, rejected and faulted request, in arrival order."""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict, Unpack

# Entries kept; older ones are dropped. About 150 MB at worst, and about 60 MB more for what the
# lookup routes keep of each accepted email and SMS (OutboxEntry.kept, some 300 bytes each).
DEFAULT_LIMIT = 200_000
CHANNELS = ("email", "sms", "push")
STATUSES = ("accepted", "rejected", "faulted")  # faulted: an injected fault answered it
# What GET /outbox serves of each entry (all, or those named in ?fields=).
FIELDS = (
    "seq", "channel", "status", "recipient", "label", "notification_id", "subject", "text",
    "payload", "error", "provider_id", "received_at", "received_at_ms", "topic",
)  # fmt: skip


class Selection(TypedDict, total=False):
    """Which entries to read, as Outbox.messages, GET /outbox and SandboxClient.messages take it:
    those with seq > since (0 when absent), of one channel and one status when given, oldest
    first, at most limit of them."""

    since: int
    channel: str | None
    status: str | None
    limit: int | None


@dataclass(slots=True)
class OutboxEntry:
    """One message (or one rejected request) as the provider saw it."""

    seq: int
    channel: str
    status: str
    received_at_ms: float  # epoch milliseconds, for end-to-end latency
    recipient: str | None = None
    notification_id: str | None = None
    subject: str | None = None
    text: str | None = None
    payload: Any = None
    error: str | None = None
    provider_id: str | None = None  # X-Message-Id, Message sid or push message id
    label: str | None = None  # the push subscriber's label
    topic: str | None = None  # a push's Topic header (RFC 8030 section 5.4)
    # What the provider keeps of an accepted message for its lookup routes (SendGrid's Email
    # Activity, Twilio's Messages list); not one of FIELDS, so GET /outbox never serves it.
    kept: Any = None

    def to_dict(self, fields: Sequence[str] = FIELDS) -> dict[str, Any]:
        """The JSON shape served by GET /outbox: every field of FIELDS, or only those named."""
        return {
            name: self.received_at() if name == "received_at" else getattr(self, name)
            for name in fields
        }

    def received_at(self) -> str:
        """When it arrived, as ISO 8601 UTC with microseconds."""
        received_at = datetime.fromtimestamp(self.received_at_ms / 1000, UTC)
        return received_at.isoformat(timespec="microseconds")


def new_message_id() -> str:
    """22 URL-safe characters (128 bits from the OS), for a provider's message id.

    From secrets, not the random module: the sandbox's message ids are handed to whoever calls
    it, and the random module's sequence can be read back from enough of its outputs, which
    would let one caller predict the ids of another's messages.
    """
    return secrets.token_urlsafe(16)


class Outbox:
    """In-memory, bounded, append-only; seq keeps increasing across clears."""

    def __init__(self, limit: int = DEFAULT_LIMIT):
        self._limit = limit
        self._entries: list[OutboxEntry] = []
        self._seq = 0
        self._counts: Counter[tuple[str, str]] = Counter()
        self._dropped = 0

    def record(self, channel: str, status: str, **fields: Any) -> OutboxEntry:
        """Append one entry and return it."""
        self._seq += 1
        entry = OutboxEntry(self._seq, channel, status, time.time() * 1000, **fields)
        self._entries.append(entry)
        self._counts[(channel, status)] += 1
        # Trim in chunks so appends stay O(1) amortised.
        if len(self._entries) > self._limit + self._limit // 4:
            excess = len(self._entries) - self._limit
            del self._entries[:excess]
            self._dropped += excess
        return entry

    def messages(self, **selection: Unpack[Selection]) -> list[OutboxEntry]:
        """The entries the selection picks, oldest first."""
        since = selection.get("since", 0)
        channel, status = selection.get("channel"), selection.get("status")
        limit = selection.get("limit")
        start = 0
        if self._entries and since >= self._entries[0].seq:
            start = since - self._entries[0].seq + 1  # seqs are contiguous within the list
        selected = []
        for entry in self._entries[start:]:
            if (channel is None or entry.channel == channel) and (
                status is None or entry.status == status
            ):
                selected.append(entry)
                if limit is not None and len(selected) >= limit:
                    break
        return selected

    def newest_first(self, channel: str, status: str) -> Iterator[OutboxEntry]:
        """Entries of one channel and status, newest first; consume it before the next await."""
        return (e for e in reversed(self._entries) if e.channel == channel and e.status == status)

    def stats(self) -> dict[str, Any]:
        """Counts per channel and status since the last clear, and the last seq."""
        channels = {c: {s: self._counts[(c, s)] for s in STATUSES} for c in CHANNELS}
        return {
            "last_seq": self._seq,
            "total": sum(self._counts.values()),
            "held": len(self._entries),
            "dropped": self._dropped,
            "channels": channels,
        }

    def clear(self) -> None:
        """Forget every entry and count; seq goes on from where it was."""
        self._entries.clear()
        self._counts.clear()
        self._dropped = 0
