"""A customer's plan: the messages waiting for their time, and what timing rules remember.

The plans table holds one plan per customer (keyed like the events, so it lives in the same
partition as the customer's events and is restored from its changelog after a restart). All
of it is JSON: times are ISO 8601 strings in UTC.

- pending: messages waiting for a time, each {id, due, template, category, channels, subject,
  event, extra, why, order_id, parcel, checkout_id}: subject and template give the
  notification id (so a message fired twice is the same message), event is the CloudEvent it
  answers, extra what the template needs besides;
- parcels: "order|fulfillment" -> the furthest stage reached (1 shipped, 2 out for delivery,
  3 delivered), to recognize news older than what is known;
- reviews: order id -> "scheduled", "sent" or the reason it was cancelled;
- reminded: checkout id -> reminder numbers already fired;
- marketing: channel -> [{id, at}] of marketing messages sent or booked, for the cap.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

Plan = dict[str, Any]
Pending = dict[str, Any]

MAX_PENDING = 200
MAX_REMEMBERED = 200  # parcels, reviews and checkouts remembered per customer
MARKETING_MEMORY = timedelta(days=31)


def empty() -> Plan:
    """A plan with nothing waiting."""
    return {"pending": [], "parcels": {}, "reviews": {}, "reminded": {}, "marketing": {}}


def copy(plan: Plan | None) -> Plan:
    """A copy to change; the table's value is never changed in place."""
    base = empty()
    for key, value in (plan or {}).items():
        base[key] = list(value) if isinstance(value, list) else dict(value)
    return base


def at(text: str) -> datetime:
    """A stored time."""
    return datetime.fromisoformat(text)


def add(plan: Plan, pending: Pending) -> None:
    """Schedule a message; one with the same id is replaced. The soonest are kept if full."""
    kept = [p for p in plan["pending"] if p["id"] != pending["id"]]
    kept.append(pending)
    kept.sort(key=lambda p: at(p["due"]))
    plan["pending"] = kept[:MAX_PENDING]


def cancel(plan: Plan, match: Callable[[Pending], bool]) -> list[Pending]:
    """Remove the waiting messages that match; return them."""
    gone = [p for p in plan["pending"] if match(p)]
    if gone:
        plan["pending"] = [p for p in plan["pending"] if not match(p)]
    return gone


def take_due(plan: Plan, now: datetime) -> list[Pending]:
    """Remove and return the messages whose time has come, soonest first."""
    due = [p for p in plan["pending"] if at(p["due"]) <= now]
    if due:
        plan["pending"] = [p for p in plan["pending"] if at(p["due"]) > now]
    return due


def next_due(plan: Plan | None) -> datetime | None:
    """When the next waiting message is due."""
    pending = (plan or {}).get("pending") or []
    return min((at(p["due"]) for p in pending), default=None)


def remember(plan: Plan, section: str, key: str, value: Any) -> None:
    """Set one remembered value, forgetting the oldest beyond MAX_REMEMBERED."""
    memory = dict(plan[section])
    memory.pop(key, None)
    memory[key] = value
    while len(memory) > MAX_REMEMBERED:
        memory.pop(next(iter(memory)))
    plan[section] = memory


def booked(plan: Plan, channel: str, *, besides: str) -> list[datetime]:
    """Times of the marketing messages sent or booked on a channel, other than `besides`."""
    return [at(b["at"]) for b in plan["marketing"].get(channel, []) if b["id"] != besides]


def book(plan: Plan, channel: str, message_id: str, when: datetime, now: datetime) -> None:
    """Record a marketing message sent at, or booked for, `when` (replacing its old booking)."""
    keep = [
        b
        for b in plan["marketing"].get(channel, [])
        if b["id"] != message_id and at(b["at"]) > now - MARKETING_MEMORY
    ]
    plan["marketing"] = {**plan["marketing"], channel: [*keep, {"id": message_id, "at": iso(when)}]}


def iso(when: datetime) -> str:
    """How times are stored."""
    return when.isoformat()
