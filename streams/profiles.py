"""Pure folds that turn customer events into the profile and preference state the tables hold."""

from __future__ import annotations

from typing import Any

from schemas.common import ChannelSwitches
from schemas.events import (
    CheckoutAbandoned,
    CheckoutUpdated,
    CustomerUpserted,
    OrderPlaced,
    PreferencesUpdated,
    WebpushSubscribed,
)

Profile = dict[str, Any]
Preferences = dict[str, dict[str, bool]]

# What a customer gets before saying anything: order and shipping news by email only.
DEFAULT_PREFERENCES: Preferences = {
    "transactional": {"email": True, "sms": False, "push": False},
    "marketing": {"email": False, "sms": False, "push": False},
}
CONTACT_FIELDS = ("email", "phone", "first_name", "last_name", "language")
MAX_PUSH_SUBSCRIPTIONS = 5


def new_profile(customer_id: str) -> Profile:
    """An empty profile for a customer seen for the first time."""
    return {"customer_id": customer_id, "push_subscriptions": []}


def apply_customer(profile: Profile | None, data: CustomerUpserted) -> Profile:
    """Fold a customer.upserted event in: given fields replace what was known."""
    merged = dict(profile or new_profile(data.customer_id))
    for field, value in data.model_dump(exclude_none=True).items():
        merged[field] = value
    return merged


def apply_contact(
    profile: Profile | None, data: OrderPlaced | CheckoutAbandoned | CheckoutUpdated
) -> Profile | None:
    """Fill contact details an order carries, without overwriting what the customer set."""
    if data.customer is None:
        return profile
    merged = dict(profile or new_profile(data.customer_id))
    changed = profile is None
    for field in CONTACT_FIELDS:
        value = getattr(data.customer, field)
        if value is not None and merged.get(field) is None:
            merged[field] = value
            changed = True
    return merged if changed else profile


def apply_subscription(profile: Profile | None, data: WebpushSubscribed) -> Profile:
    """Add a push subscription, newest last, replacing one with the same endpoint."""
    merged = dict(profile or new_profile(data.customer_id))
    sub = data.subscription.model_dump(exclude_none=True)
    kept = [s for s in merged.get("push_subscriptions", []) if s["endpoint"] != sub["endpoint"]]
    merged["push_subscriptions"] = [*kept, sub][-MAX_PUSH_SUBSCRIPTIONS:]
    return merged


def apply_preferences(prefs: Preferences | None, data: PreferencesUpdated) -> Preferences:
    """Fold a preferences.updated event in: only the channels it names change."""
    merged = {cat: dict(switches) for cat, switches in (prefs or DEFAULT_PREFERENCES).items()}
    for category in ("transactional", "marketing"):
        switches: ChannelSwitches | None = getattr(data, category)
        if switches is not None:
            merged[category].update(switches.model_dump(exclude_none=True))
    return merged
