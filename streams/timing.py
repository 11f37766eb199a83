"""When a message may go out: quiet hours in the customer's local time, and the marketing cap.

Pure time arithmetic; the stream processor passes the clock in, so tests never sleep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class QuietHours:
    """A nightly window, local time; start == end means no quiet hours."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        """Whether a local time of day falls inside the window (which may cross midnight)."""
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def describe(self) -> str:
        """21:00-08:00."""
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def zone(name: str | None) -> ZoneInfo:
    """The customer's zone; UTC when none is known or the name is not an IANA zone."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def quiet_until(now: datetime, tz: ZoneInfo, quiet: QuietHours) -> datetime | None:
    """When the quiet period around `now` ends (UTC), or None when it is not quiet now.

    The end is the next local `quiet.end` after now, computed in the customer's zone, so a
    daylight-saving change during the night moves it with the clocks on the wall.
    """
    local = now.astimezone(tz)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return None
    end = datetime.combine(local.date(), quiet.end, tzinfo=tz)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), quiet.end, tzinfo=tz)
    # A wall time skipped by a daylight-saving jump normalizes through UTC.
    return end.astimezone(UTC)


def cap_until(
    booked: Sequence[datetime], now: datetime, *, cap: int, period: timedelta
) -> datetime | None:
    """When another message fits under the cap (UTC), or None when one fits now.

    `booked` are the times other messages of the same kind went out or are booked to go out
    (a message deferred by the cap books its slot, so two deferred ones do not collide). A
    time fits when fewer than `cap` bookings lie within `period` of it, before or after.
    """
    for candidate in [now, *sorted(b + period for b in booked if b + period > now)]:
        near = sum(1 for b in booked if abs(b - candidate) < period)
        if near < cap:
            return None if candidate == now else candidate
    raise AssertionError("unreachable: the latest booking plus a period always fits")
