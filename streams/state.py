"""What one event changes in what the customers agent knows of a customer: pure.

The agent keeps two things per customer, each in its own table: the profile (contact details,
orders and loyalty: streams/profiles.py, streams/purchases.py) and the preferences the customer
or the shop's consent fields stated. Given both as known and one event, `state_changes` says
which of them to store again, and what; it reads and writes no table.

An event that counts (an order placed, refunded or cancelled) is counted once per event id:
the profile remembers the ids of the last COUNTED such events it counted (`counted_events`).
Publishing can repeat events (a Kafka timeout after part of a batch went out, then the shop's
retry of the whole batch); the purchase folds recognise their own orders and refunds too, and
the ids catch a repeat whatever the fold.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.common import Contract
from schemas.events import (
    CheckoutAbandoned,
    CheckoutUpdated,
    CloudEvent,
    ContactFailed,
    CustomerUpserted,
    OrderCancelled,
    OrderPlaced,
    OrderRefunded,
    PreferencesUpdated,
    WebpushSubscribed,
)
from streams.envelope import data_of
from streams.loyalty import Loyalty
from streams.profiles import (
    Preferences,
    Profile,
    apply_consent,
    apply_contact,
    apply_contact_failed,
    apply_customer,
    apply_preferences,
    apply_subscription,
)
from streams.purchases import apply_cancellation, apply_order, apply_refund

COUNTED = 64  # ids kept per customer: far more than one retried batch holds for one customer


@dataclass(frozen=True)
class Changes:
    """What to store after one event: the new profile and preferences; None where the event
    left that part as it was (nothing to write)."""

    profile: Profile | None = None
    preferences: Preferences | None = None


def state_changes(
    profile: Profile | None, prefs: Preferences | None, event: CloudEvent, loyalty: Loyalty
) -> Changes:
    """What the event changes in the customer's profile and preferences.

    Preferences are stored only when they differ from the known ones, except after a
    preferences event, whose word is always stored. A profile is stored whenever a fold made a
    new one: the folds return the known profile itself when nothing changed.
    """
    data = data_of(event)
    if isinstance(data, PreferencesUpdated):
        return Changes(preferences=apply_preferences(prefs, data, event.time))
    if isinstance(data, CustomerUpserted):
        return Changes(apply_customer(profile, data), _if_new(apply_consent(prefs, data), prefs))
    if isinstance(data, ContactFailed):
        updated, said = apply_contact_failed(profile, prefs, data)
        return Changes(updated, _if_new(said, prefs))
    counts = isinstance(data, OrderPlaced | OrderRefunded | OrderCancelled)
    if counts and already_counted(profile, event.id):
        return Changes()
    updated = _profile_after(profile, event, data, loyalty)
    if updated is profile or updated is None:
        return Changes()
    return Changes(remember_counted(updated, event.id) if counts else updated)


def already_counted(profile: Profile | None, event_id: str) -> bool:
    """Whether the profile counted the event with this id (among the last COUNTED)."""
    return profile is not None and event_id in profile.get("counted_events", ())


def remember_counted(profile: Profile, event_id: str) -> Profile:
    """The profile that remembers it counted `event_id`: the newest COUNTED ids are kept."""
    seen = [i for i in profile.get("counted_events", []) if i != event_id]
    return {**profile, "counted_events": [*seen, event_id][-COUNTED:]}


def _profile_after(
    profile: Profile | None, event: CloudEvent, data: Contract, loyalty: Loyalty
) -> Profile | None:
    """The profile after an event that changes nothing but the profile (the same object when
    it changes nothing at all)."""
    rate, tiers = loyalty.points_per_unit, loyalty.tiers
    if isinstance(data, WebpushSubscribed):
        return apply_subscription(profile, data)
    if isinstance(data, OrderPlaced):
        with_contact = apply_contact(profile, data)
        return apply_order(with_contact, data, points_per_unit=rate, tiers=tiers, at=event.time)
    if isinstance(data, CheckoutAbandoned | CheckoutUpdated):
        return apply_contact(profile, data)
    if isinstance(data, OrderRefunded):
        return apply_refund(profile, data, refund_id=event.id, points_per_unit=rate, tiers=tiers)
    if isinstance(data, OrderCancelled):
        return apply_cancellation(profile, data, tiers=tiers)
    return profile


def _if_new(said: Preferences | None, known: Preferences | None) -> Preferences | None:
    """The preferences to store: `said`, unless it says nothing or what is known already."""
    return said if said is not None and said != known else None
