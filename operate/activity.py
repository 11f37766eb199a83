"""What the pipeline did lately, from the notifications' lives (operate/history.py): messages
accepted by the providers per channel per minute, decisions, and the providers' refusals
against their acceptances; for the console's overview. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from operate.history import Life
from schemas.topics import CHANNELS


@dataclass
class Activity:
    """The last `minutes` minutes, oldest minute first."""

    minutes: int
    sent: dict[str, list[int]] = field(default_factory=dict)  # channel: per minute
    decided: list[int] = field(default_factory=list)  # messages decided on, per minute
    failed: dict[str, int] = field(default_factory=dict)  # attempts refused, per channel
    accepted: dict[str, int] = field(default_factory=dict)  # attempts taken, per channel

    def error_rate(self, channel: str) -> float | None:
        """Refused attempts over all attempts on a channel; None without any."""
        tried = self.failed[channel] + self.accepted[channel]
        return self.failed[channel] / tried if tried else None


def activity(lives: Iterable[Life], now: datetime, minutes: int = 60) -> Activity:
    """Count the steps of the last `minutes` minutes (to the minute now is in)."""
    end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(minutes=minutes)
    found = Activity(
        minutes,
        sent={c: [0] * minutes for c in CHANNELS},
        decided=[0] * minutes,
        failed=dict.fromkeys(CHANNELS, 0),
        accepted=dict.fromkeys(CHANNELS, 0),
    )
    for life in lives:
        channel = life.channel if life.channel in CHANNELS else None
        for step in life.steps:
            if not start <= step.at < end:
                continue
            minute = int((step.at - start).total_seconds() // 60)
            if step.kind == "decided":
                found.decided[minute] += 1
            elif channel is None:
                continue
            elif step.kind == "accepted":
                found.sent[channel][minute] += 1
                found.accepted[channel] += 1
            elif step.kind == "failed":
                found.failed[channel] += 1
    return found
