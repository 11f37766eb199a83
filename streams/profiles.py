"""Pure folds that turn customer events into the profile and preference state the tables hold.

Contact keys a profile may hold besides the event's own fields:

- phone: E.164, only ever a number a text message can reach;
- phone_invalid: {"raw", "reason"} for the last number given that was not, while no phone is kept;
- timezone: an IANA zone, and timezone_source: "given" by the shop, or derived from "country".

Order history and loyalty are folded in by streams/purchases.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas.common import ChannelSwitches
from schemas.events import (
    CheckoutAbandoned,
    CheckoutUpdated,
    ContactFailed,
    CustomerUpserted,
    OrderPlaced,
    PreferencesUpdated,
    WebpushSubscribed,
)
from streams.contacts import is_timezone, read_phone, resolve_timezone
from streams.news import KIND_OF_NEWS, NEWS_OF_KIND

Profile = dict[str, Any]
# Only what the customer (or the shop's consent fields) said: {"transactional": {"sms": True},
# "marketing": {"email": False}, "shipping": {"sms": False}, "quiet_hours": {"start": "22:00",
# "end": "07:00"}, "paused": {"until": ISO time, "via": ...}, "said": {"shipping.sms": {"at":
# "2026-12-06", "via": "preference center"}}}. What was never said is decided by
# streams/decide.py switch().
Preferences = dict[str, dict[str, Any]]
CONTACT_FIELDS = ("email", "phone", "first_name", "last_name", "language")
MAX_PUSH_SUBSCRIPTIONS = 5
MAX_RAW_PHONE = 100


def new_profile(customer_id: str) -> Profile:
    """An empty profile for a customer seen for the first time."""
    return {"customer_id": customer_id, "push_subscriptions": []}


def apply_customer(profile: Profile | None, data: CustomerUpserted) -> Profile:
    """Fold a customer.upserted event in: given fields replace what was known.

    The phone is kept in E.164, read by the customer's country; a number no text message can
    reach is flagged instead and the old one dropped. The time zone given wins if IANA knows
    it, else the country's is derived.
    """
    merged = dict(profile or new_profile(data.customer_id))
    for field, value in data.model_dump(exclude_none=True, exclude={"phone", "timezone"}).items():
        merged[field] = value
    country = merged.get("country_code")
    raw = data.phone
    if raw is None and data.country_code and "phone_invalid" in merged:
        # A national number flagged for want of a country may read now that one is known.
        raw = merged["phone_invalid"]["raw"]
    if raw is not None:
        _set_phone(merged, raw, country)
    _set_timezone(merged, data.timezone, country)
    return merged


def apply_contact(
    profile: Profile | None, data: OrderPlaced | CheckoutAbandoned | CheckoutUpdated
) -> Profile | None:
    """Fill contact details an order carries, without overwriting what the customer set.

    Returns the same profile object when nothing changed. The profile's country, else the
    order's shipping country, reads a national phone number and gives a missing time zone.
    """
    if data.customer is None:
        return profile
    merged = dict(profile or new_profile(data.customer_id))
    shipping = data.shipping_address if isinstance(data, OrderPlaced) else None
    country = merged.get("country_code") or (shipping.country_code if shipping else None)
    for field in CONTACT_FIELDS:
        value = getattr(data.customer, field)
        if value is None or merged.get(field) is not None:
            continue
        if field == "phone":
            _set_phone(merged, value, country)
        else:
            merged[field] = value
    if merged.get("timezone") is None:
        _set_timezone(merged, None, country)
    return merged if profile is None or merged != profile else profile


def apply_subscription(profile: Profile | None, data: WebpushSubscribed) -> Profile:
    """Add a push subscription, newest last, replacing one with the same endpoint."""
    merged = dict(profile or new_profile(data.customer_id))
    sub = data.subscription.model_dump(exclude_none=True)
    kept = [s for s in merged.get("push_subscriptions", []) if s["endpoint"] != sub["endpoint"]]
    merged["push_subscriptions"] = [*kept, sub][-MAX_PUSH_SUBSCRIPTIONS:]
    return merged


def apply_preferences(
    prefs: Preferences | None, data: PreferencesUpdated, at: datetime
) -> Preferences:
    """Fold a preferences.updated event in: only the channels it names change.

    A kind's word (transactional, marketing) on a channel replaces what was said of that
    channel for its news; a news' word (orders, shipping, reviews, offers: streams/news.py)
    holds over its kind's. When the event says where the customer said it (`via`), each
    switch it names remembers when and where, for explain ("switched off by the customer on
    ... (preference center)"). A pause of offers ends at its time, or with a past one."""
    merged = {key: dict(value) for key, value in (prefs or {}).items()}
    named: list[tuple[str, str]] = []
    for category in (*NEWS_OF_KIND, *KIND_OF_NEWS):
        switches: ChannelSwitches | None = getattr(data, category)
        if switches is None:
            continue
        said = switches.model_dump(exclude_none=True)
        for news in NEWS_OF_KIND.get(category, ()):
            for channel in said:
                merged.get(news, {}).pop(channel, None)
        merged[category] = {**merged.get(category, {}), **said}
        named += [(category, channel) for channel in said]
    merged = {key: value for key, value in merged.items() if value or key not in KIND_OF_NEWS}
    if data.via is not None and named:
        when = {"at": at.date().isoformat(), "via": data.via}
        merged["said"] = {**merged.get("said", {}), **{f"{c}.{ch}": when for c, ch in named}}
    if data.quiet_hours is not None:
        merged["quiet_hours"] = data.quiet_hours.model_dump()
    if data.marketing_paused_until is not None:
        until = data.marketing_paused_until.astimezone(UTC)
        if until > at:
            merged["paused"] = {"until": until.isoformat(), "via": data.via}
        else:
            merged.pop("paused", None)
    return merged


def apply_consent(prefs: Preferences | None, data: CustomerUpserted) -> Preferences | None:
    """The shop's consent fields are the customer's latest word on marketing by email and
    SMS: recorded as preferences, so a later unsubscribe in the shop switches them off."""
    said = {
        channel: value
        for channel, value in (
            ("email", data.accepts_marketing),
            ("sms", data.accepts_sms_marketing),
        )
        if value is not None
    }
    if not said:
        return prefs
    merged = {key: dict(value) for key, value in (prefs or {}).items()}
    merged["marketing"] = {**merged.get("marketing", {}), **said}
    return merged


def apply_contact_failed(
    profile: Profile | None, prefs: Preferences | None, data: ContactFailed
) -> tuple[Profile | None, Preferences | None]:
    """Act on a provider's word that a contact point cannot be used.

    STOP by SMS switches SMS off (order news and marketing). A number that cannot take texts is
    flagged and dropped; an expired push subscription is removed; a bounced address, or one
    whose owner reported spam, is not mailed again (a new address from the shop is used). A
    complaint also switches marketing email off. News about a contact the profile does not
    hold (any more) changes nothing: a STOP counts only from the number the profile texts now,
    so a receipt about another number (an old one, or a forged one) switches nothing off.
    """
    merged = dict(profile or new_profile(data.customer_id))
    said = {key: dict(value) for key, value in (prefs or {}).items()}
    if data.action == "opted_out" and holds(merged, data.channel, data.address):
        for category in ("transactional", "marketing"):
            said[category] = {**said.get(category, {}), data.channel: False}
    elif data.action == "invalid" and merged.get("phone") == data.address:
        merged.pop("phone")
        merged["phone_invalid"] = {"raw": data.address[:MAX_RAW_PHONE], "reason": data.reason}
    elif data.action == "gone":
        subs = merged.get("push_subscriptions", [])
        merged["push_subscriptions"] = [s for s in subs if s["endpoint"] != data.address]
    elif data.action in ("bounced", "complained") and merged.get("email") == data.address:
        merged["email_invalid"] = {"address": data.address, "reason": data.reason}
        if data.action == "complained":
            said["marketing"] = {**said.get("marketing", {}), "email": False}
    return merged, said


def holds(profile: Profile, channel: str, address: str) -> bool:
    """Whether `address` is the profile's current contact point on `channel`."""
    if channel == "push":
        return any(s["endpoint"] == address for s in profile.get("push_subscriptions", []))
    return profile.get("phone" if channel == "sms" else "email") == address


def _set_phone(merged: Profile, raw: str, country: str | None) -> None:
    reading = read_phone(raw, country)
    if reading.e164 is not None:
        merged["phone"] = reading.e164
        merged.pop("phone_invalid", None)
    else:
        merged.pop("phone", None)
        merged["phone_invalid"] = {"raw": raw[:MAX_RAW_PHONE], "reason": reading.reason}


def _set_timezone(merged: Profile, given: str | None, country: str | None) -> None:
    current = merged.get("timezone")
    if current is not None and not is_timezone(current):
        current = None  # stored before zones were checked
    # A profile from before timezone_source existed holds only zones the shop gave.
    kept = current if merged.get("timezone_source", "given") == "given" else None
    explicit = given if given is not None and is_timezone(given) else kept
    zone = resolve_timezone(explicit, country) or current  # nothing new: keep what was derived
    if zone is None:
        merged.pop("timezone", None)
        merged.pop("timezone_source", None)
    else:
        merged["timezone"] = zone
        merged["timezone_source"] = "given" if explicit else "country"
