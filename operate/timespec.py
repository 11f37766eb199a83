"""Points in time as an operator types them: ISO-8601, or a duration back from now (`2h`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str, now: datetime) -> datetime:
    """`2h`, `30m`, `7d`, `90s`, `1w` back from `now`, or an ISO-8601 time (UTC when it names
    no zone); ValueError saying what is accepted otherwise."""
    value = text.strip()
    if match := DURATION.match(value):
        return now - timedelta(**{UNITS[match[2]]: float(match[1])})
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an ISO-8601 time (2026-12-04T10:00:00+00:00) nor a duration "
            "such as 90s, 30m, 2h, 7d or 1w"
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def time_range(
    since: str | None, until: str | None, now: datetime, names: tuple[str, str]
) -> tuple[datetime | None, datetime | None]:
    """A replay's --since and --until (either may be absent), as `parse_when` reads them;
    ValueError naming the field (`names`, as the operator knows them) and what is wrong."""
    found: list[datetime | None] = []
    for name, text in zip(names, (since, until), strict=True):
        try:
            found.append(None if text is None else parse_when(text, now))
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    start, end = found
    if start and end and end < start:
        raise ValueError(f"{names[1]}: {until} is before {names[0]} {since}")
    return start, end


def epoch_ms(at: datetime) -> int:
    """Kafka's timestamps: milliseconds since the epoch."""
    return int(at.timestamp() * 1000)
