"""What the preference center shows a customer, and what a form they sent changes: pure.

The page shows each news (orders, shipping, reviews, offers) on each channel as it stands
for this customer now, the stream processor's own `switch` deciding what was never said; a
form sent back changes only what differs from what the page showed, so that saving a page
untouched says nothing new (a customer who never subscribed a browser, and so sees push
off, is not made to refuse push for good by saving).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl

from schemas.topics import CHANNELS
from streams.decide import paused, switch
from streams.news import KIND_OF_NEWS, NEWS
from streams.timing import QuietHours

PAUSE = timedelta(days=30)
MAX_FIELDS = 40
VIA = "preference center"
_TIME_FIELDS = ("quiet_start", "quiet_end")


class BadForm(ValueError):
    """A form the page would never send: an unknown field, news or channel, a bad time."""


@dataclass(frozen=True)
class Choices:
    """One customer's choices as the page shows them."""

    on: frozenset[tuple[str, str]]  # (news, channel) switched on
    quiet: tuple[time, time]
    paused_until: datetime | None = None


@dataclass(frozen=True)
class Form:
    """What a sent form says."""

    action: str  # save or unsubscribe
    on: frozenset[tuple[str, str]] = frozenset()
    quiet: tuple[time, time] | None = None
    pause: bool = False
    csrf: str = ""
    raw: dict[str, str] = field(default_factory=dict)


def shown(prefs: dict[str, Any] | None, push: bool, quiet: QuietHours, now: datetime) -> Choices:
    """The choices as they stand: `push` whether the customer has a browser subscribed, and
    `quiet` the shop's quiet hours (the customer's own, when set, over them)."""
    profile = {"push_subscriptions": [True]} if push else {}
    on = frozenset(
        (news, channel)
        for news in NEWS
        for channel in CHANNELS
        if switch(prefs, profile, KIND_OF_NEWS[news], channel, news)[0]  # type: ignore[arg-type]
    )
    own = (prefs or {}).get("quiet_hours")
    hours = (time.fromisoformat(own["start"]), time.fromisoformat(own["end"])) if own else None
    until = None
    if paused(prefs, now):
        until = datetime.fromisoformat((prefs or {})["paused"]["until"])
    return Choices(on, hours or (quiet.start, quiet.end), until)


def read_form(body: bytes) -> Form:
    """The form the page sends; BadForm naming the field for anything else."""
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise BadForm("the form is not one the page sends") from None
    raw: dict[str, str] = {}
    on: set[tuple[str, str]] = set()
    for name, value in pairs:
        if name in raw or (name, value) in on:
            raise BadForm(f"{name} is given twice")
        if "." in name:
            news, _, channel = name.partition(".")
            if news not in NEWS or channel not in CHANNELS:
                raise BadForm(f"unknown category or channel: {name}")
            if value != "on":
                raise BadForm(f"{name} is on or left out, not {value!r}")
            on.add((news, channel))
        elif name in ("csrf", "action", "pause", *_TIME_FIELDS):
            raw[name] = value
        else:
            raise BadForm(f"unknown field: {name}")
    action = raw.get("action", "save")
    if action not in ("save", "unsubscribe"):
        raise BadForm(f"unknown action: {action}")
    if raw.get("pause", "on") != "on":
        raise BadForm(f"pause is on or left out, not {raw['pause']!r}")
    return Form(action, frozenset(on), _quiet(raw), "pause" in raw, raw.get("csrf", ""), raw)


def _quiet(raw: dict[str, str]) -> tuple[time, time] | None:
    given = [raw.get(name, "") for name in _TIME_FIELDS]
    if not any(given):
        return None
    try:
        start, end = (time.fromisoformat(text) for text in given)
    except ValueError:
        raise BadForm("quiet hours are two times, HH:MM") from None
    if len(given[0]) != 5 or len(given[1]) != 5:
        raise BadForm("quiet hours are two times, HH:MM")
    return start, end


def changes(now_shown: Choices, form: Form, now: datetime) -> dict[str, Any]:
    """The preferences.updated data the form says, beside the customer id: only what differs
    from what was shown (empty: nothing to change)."""
    if form.action == "unsubscribe":
        return {"marketing": dict.fromkeys(CHANNELS, False), "via": VIA}
    said: dict[str, Any] = {}
    for news in NEWS:
        for channel in CHANNELS:
            wanted = (news, channel) in form.on
            if wanted != ((news, channel) in now_shown.on):
                said.setdefault(news, {})[channel] = wanted
    if form.quiet is not None and form.quiet != now_shown.quiet:
        start, end = form.quiet
        said["quiet_hours"] = {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
    if form.pause and now_shown.paused_until is None:
        said["marketing_paused_until"] = (now + PAUSE).astimezone(UTC).isoformat()
    elif not form.pause and now_shown.paused_until is not None:
        said["marketing_paused_until"] = now.astimezone(UTC).isoformat()
    return {**said, "via": VIA} if said else {}
