"""Shared by the decision tests: a shop policy and the decision of an event's own message."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from schemas.events import CloudEvent
from streams.decide import Decision, Message, decide, message_for
from streams.plans import empty
from streams.policy import Policy
from streams.timing import QuietHours

POLICY = Policy(quiet=QuietHours(time(21), time(8)), loyalty=True)
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # outside quiet hours in UTC
SUB = {"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": {"p256dh": "k", "auth": "a"}}
# A customer with every contact point: email, a valid phone and a browser subscription.
PROFILE: dict[str, Any] = {
    "customer_id": "c1",
    "email": "aino@example.fi",
    "phone": "+358401234567",
    "first_name": "Aino",
    "language": "fi",
    "push_subscriptions": [SUB],
}


def decide_now(
    event: CloudEvent, profile: Any, prefs: Any, now: datetime = NOON, policy: Policy = POLICY
) -> list[Decision]:
    """What the event's own message decides with nothing waiting (an event that is not a
    message is decided as a checkout reminder, the marketing message it leads to)."""
    message = message_for(event) or Message(event, "checkout.reminder", event.id)
    return decide(message, profile, prefs, empty(), policy=policy, now=now)
