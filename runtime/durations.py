"""Durations as a person writes them in a setting: 24h, 10m, 90s, 2d, 1h30m or 3600."""

from __future__ import annotations

import re


def seconds_of(text: str) -> float:
    """Seconds in a duration as a person writes it: 24h, 10m, 90s, 2d, 1h30m or 3600."""
    spec = text.strip().lower()
    try:
        return float(spec)
    except ValueError:
        pass
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([dhms])", spec)
    if not parts or re.sub(r"(\d+(?:\.\d+)?)\s*([dhms])", "", spec).strip():
        raise ValueError(f"{text!r} is not a duration such as 24h, 10m, 90s or 2d")
    return sum(float(n) * _UNIT_S[unit] for n, unit in parts)


_UNIT_S = {"d": 86_400.0, "h": 3_600.0, "m": 60.0, "s": 1.0}
