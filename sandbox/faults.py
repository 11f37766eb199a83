"""Per-channel fault profiles: error rates by status code, 429s, added latency and hangs.

Every sending handler asks `SandboxState.fault(channel)` before it looks at the request; a fault it
gets back replaces the provider's normal answer, in that provider's own error shape (each provider
module's `fault_response`). Profiles apply to sending only: the lookup routes (SendGrid's Email
Activity, Twilio's Messages list) never ask, so they are never faulted, slowed or hung. A seeded
profile draws the same faults in the same order every time it is set, so tests and the bench can
repeat a run.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from sandbox.outbox import CHANNELS

TIMEOUT_STATUS = 504  # what a hung request finally answers, if anyone is still waiting
_FIELDS = frozenset(
    ("errors", "rate_limit", "retry_after_s", "latency_ms", "timeout", "hang_s", "seed", "count")
)


def reason(status: int) -> str:
    """The HTTP reason phrase of a status code ("Service Unavailable")."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Server Error"


@dataclass(frozen=True, slots=True)
class Fault:
    """How one request misbehaves: the status to answer and the provider's retry hint."""

    status: int  # 429, a 5xx, or TIMEOUT_STATUS after a hang
    retry_after_s: int
    hang_s: float = 0.0  # more than zero: a timeout; the answer comes after the client gave up

    def describe(self) -> str:
        """The outbox's error text for this fault."""
        if self.hang_s:
            return f"timeout: hung {self.hang_s:g} s, then {self.status} (injected fault)"
        return f"{self.status} {reason(self.status)} (injected fault)"


@dataclass(frozen=True)
class ChannelProfile:
    """What fraction of one channel's requests fail, and how; the rest are answered normally."""

    errors: dict[int, float] = field(default_factory=dict)  # 5xx status -> fraction
    rate_limit: float = 0.0  # fraction answered 429
    retry_after_s: int = 1  # the 429's hint (Retry-After, or X-RateLimit-Reset for SendGrid)
    latency_ms: float = 0.0  # added to every request of the channel, faulted or not
    timeout: float = 0.0  # fraction that hang for hang_s, longer than any client waits
    hang_s: float = 30.0
    seed: int | None = None
    count: int | None = None  # at most this many faults, then every request is answered

    @classmethod
    def from_json(cls, data: Any) -> ChannelProfile:
        """A profile from its JSON form; ValueError says what is wrong with it."""
        if not isinstance(data, Mapping):
            raise ValueError("a fault profile is a JSON object")
        unknown = sorted(set(data) - _FIELDS)
        if unknown:
            raise ValueError(f"unknown fields {unknown}; known: {sorted(_FIELDS)}")
        raw_errors = data.get("errors") or {}
        if not isinstance(raw_errors, Mapping):
            raise ValueError('errors is an object of status code to fraction, e.g. {"503": 0.05}')
        errors: dict[int, float] = {}
        for status, fraction in raw_errors.items():
            code = _whole(status, "errors")
            if not 500 <= code <= 599:
                raise ValueError(f"errors: {status} is not a 5xx status (429 is rate_limit)")
            errors[code] = _fraction(fraction, f"errors.{status}")
        seed, count = data.get("seed"), data.get("count")
        profile = cls(
            errors=errors,
            rate_limit=_fraction(data.get("rate_limit", 0), "rate_limit"),
            retry_after_s=_whole(data.get("retry_after_s", 1), "retry_after_s", low=0),
            latency_ms=_number(data.get("latency_ms", 0), "latency_ms", low=0),
            timeout=_fraction(data.get("timeout", 0), "timeout"),
            hang_s=_number(data.get("hang_s", 30), "hang_s", low=0),
            seed=None if seed is None else _whole(seed, "seed"),
            count=None if count is None else _whole(count, "count", low=0),
        )
        total = profile.timeout + profile.rate_limit + sum(errors.values())
        if total > 1 + 1e-9:
            raise ValueError(f"timeout, rate_limit and errors add up to {total:g}, more than 1")
        return profile

    def to_json(self) -> dict[str, Any]:
        """The JSON form, as GET /faults serves it."""
        return {
            "errors": {str(status): f for status, f in sorted(self.errors.items())},
            "rate_limit": self.rate_limit,
            "retry_after_s": self.retry_after_s,
            "latency_ms": self.latency_ms,
            "timeout": self.timeout,
            "hang_s": self.hang_s,
            "seed": self.seed,
            "count": self.count,
        }

    def pick(self, draw: float) -> Fault | None:
        """The fault for a uniform draw in [0, 1): each kind owns a slice its fraction wide."""
        edge = self.timeout
        if draw < edge:
            return Fault(TIMEOUT_STATUS, self.retry_after_s, self.hang_s)
        edge += self.rate_limit
        if draw < edge:
            return Fault(429, self.retry_after_s)
        for status, fraction in sorted(self.errors.items()):
            edge += fraction
            if draw < edge:
                return Fault(status, self.retry_after_s)
        return None


class Faults:
    """The profile of each channel that has one, with its own random sequence."""

    def __init__(self, profiles: Mapping[str, ChannelProfile] | None = None):
        self._active: dict[str, tuple[ChannelProfile, random.Random]] = {}
        self._faulted: dict[str, int] = {}  # faults drawn since the profile was set
        for channel, profile in (profiles or {}).items():
            self.set(channel, profile)

    @classmethod
    def from_json(cls, data: Any) -> Faults:
        """Profiles from {"email": {...}, "sms": {...}} (AFTERCART_SANDBOX_FAULTS)."""
        if not isinstance(data, Mapping):
            raise ValueError('fault profiles are a JSON object such as {"email": {...}}')
        profiles = {}
        for channel, profile in data.items():
            check_channel(channel)
            try:
                profiles[channel] = ChannelProfile.from_json(profile)
            except ValueError as exc:
                raise ValueError(f"{channel}: {exc}") from None
        return cls(profiles)

    def set(self, channel: str, profile: ChannelProfile) -> None:
        """Replace a channel's profile; its random sequence starts again from the seed."""
        check_channel(channel)
        self._active[channel] = (profile, random.Random(profile.seed))
        self._faulted[channel] = 0

    def clear(self, channel: str | None = None) -> None:
        """Make one channel, or every channel, behave again."""
        if channel is None:
            self._active.clear()
        else:
            check_channel(channel)
            self._active.pop(channel, None)

    def profiles(self) -> dict[str, ChannelProfile]:
        """The profile of each channel that has one."""
        return {channel: profile for channel, (profile, _) in self._active.items()}

    def draw(self, channel: str) -> tuple[float, Fault | None]:
        """For one request: seconds to stall, and the fault to answer (None: answer normally)."""
        active = self._active.get(channel)
        if active is None:
            return 0.0, None
        profile, rng = active
        fault = profile.pick(rng.random())
        if fault is not None and profile.count is not None:
            if self._faulted[channel] >= profile.count:
                fault = None  # its faults are used up
            else:
                self._faulted[channel] += 1
        return profile.latency_ms / 1000 + (fault.hang_s if fault else 0.0), fault


def check_channel(channel: str) -> None:
    """Raise LookupError for anything but email, sms and push."""
    if channel not in CHANNELS:
        raise LookupError(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")


def _number(value: Any, name: str, *, low: float | None = None) -> float:
    # Numbers may come as strings: settings_env passes nested settings values on as text.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name}: {value!r} is not a number")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{name}: {value!r} is not a finite number")
    if low is not None and number < low:
        raise ValueError(f"{name}: {value!r} is below {low:g}")
    return number


def _whole(value: Any, name: str, *, low: float | None = None) -> int:
    number = _number(value, name, low=low)
    if not number.is_integer():
        raise ValueError(f"{name}: {value!r} is not a whole number")
    return int(number)


def _fraction(value: Any, name: str) -> float:
    fraction = _number(value, name)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"{name}: {value!r} is not a fraction between 0 and 1")
    return fraction
