"""Who hears what on which channel: pure functions from an event and known state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.common import Channel
from schemas.decision import ChannelOutcome, DecisionRecord, Outcome
from schemas.events import CloudEvent
from schemas.notification import NotificationRequest, Recipient, notification_id
from streams.profiles import DEFAULT_PREFERENCES, Preferences, Profile

CHANNEL_ORDER: tuple[Channel, ...] = ("email", "sms", "push")
TRANSACTIONAL = frozenset(
    {
        "order.placed",
        "order.paid",
        "order.cancelled",
        "order.refunded",
        "fulfillment.shipped",
        "fulfillment.out_for_delivery",
        "fulfillment.delivered",
        "fulfillment.delayed",
    }
)
MARKETING = frozenset({"checkout.abandoned"})
# What templates may say about the customer (personal, never contact details).
CUSTOMER_FIELDS = (
    "first_name",
    "last_name",
    "loyalty_points",
    "loyalty_tier",
    "order_count",
    "first_time_buyer",
)
CHANNEL_WORDS = {"email": "email", "sms": "SMS", "push": "web push"}
CATEGORY_WORDS = {"transactional": "order and delivery news", "marketing": "offers and reminders"}
MISSING_CONTACT = {
    "email": "no email address",
    "sms": "no mobile number",
    "push": "no push subscription",
}


@dataclass(frozen=True)
class Shop:
    """What templates need to know about the shop."""

    name: str
    url: str


@dataclass(frozen=True)
class Decision:
    """The outcome for one channel: a request to send, or the reason nothing is sent."""

    channel: Channel
    request: NotificationRequest | None = None
    suppressed: str | None = None
    note: str | None = None
    unreachable: bool = False  # chosen, but no usable contact point on this channel


def category_of(event_type: str) -> str | None:
    """transactional, marketing, or None for events that never notify."""
    if event_type in TRANSACTIONAL:
        return "transactional"
    if event_type in MARKETING:
        return "marketing"
    return None


def _recipient(channel: Channel, profile: Profile) -> Recipient | None:
    name = " ".join(p for p in (profile.get("first_name"), profile.get("last_name")) if p) or None
    if channel == "email" and profile.get("email"):
        return Recipient(name=name, email=profile["email"])
    if channel == "sms" and profile.get("phone"):
        return Recipient(name=name, phone=profile["phone"])
    subs = profile.get("push_subscriptions") or []
    if channel == "push" and subs:
        return Recipient.model_validate({"name": name, "push": subs[-1]}, strict=False)
    return None


def decide(
    event: CloudEvent,
    profile: Profile | None,
    prefs: Preferences | None,
    *,
    shop: Shop,
    now: datetime,
) -> list[Decision]:
    """Decide, per channel, whether this event becomes a message for its customer."""
    category = category_of(event.type)
    if category is None:
        return []
    prefs = prefs or DEFAULT_PREFERENCES
    profile = profile or {}
    decisions = []
    for channel in CHANNEL_ORDER:
        if not prefs[category].get(channel, False):
            off = f"{CHANNEL_WORDS[channel]} is off for {CATEGORY_WORDS[category]}"
            decisions.append(Decision(channel, suppressed=off))
            continue
        if category == "marketing" and not profile.get("accepts_marketing"):
            decisions.append(Decision(channel, suppressed="no consent to marketing"))
            continue
        recipient = _recipient(channel, profile)
        if recipient is None:
            missing = _missing(channel, profile)
            decisions.append(Decision(channel, suppressed=missing, unreachable=True))
            continue
        request = _request(event, channel, recipient, profile, shop, now)
        decisions.append(Decision(channel, request=request))
    if category == "transactional":
        return _fall_back_to_email(decisions, event, profile, shop, now)
    return decisions


def _missing(channel: Channel, profile: Profile) -> str:
    invalid = profile.get("phone_invalid")
    if channel == "sms" and invalid:
        return f"the mobile number cannot take texts ({invalid.get('reason', 'invalid')})"
    return MISSING_CONTACT[channel]


def _fall_back_to_email(
    decisions: list[Decision], event: CloudEvent, profile: Profile, shop: Shop, now: datetime
) -> list[Decision]:
    """Order news the customer chose to get by SMS or push, which cannot reach them there,
    goes by email instead (when nothing else reaches them and they have an address)."""
    if any(d.request is not None for d in decisions):
        return decisions
    failed = [
        d
        for d in decisions
        if d.channel != "email"
        and d.suppressed
        and not d.suppressed.endswith(" is off for " + CATEGORY_WORDS["transactional"])
    ]
    recipient = _recipient("email", profile)
    if not failed or recipient is None:
        return decisions
    why = "; ".join(f"{CHANNEL_WORDS[d.channel]}: {d.suppressed}" for d in failed)
    request = _request(event, "email", recipient, profile, shop, now)
    email = Decision("email", request=request, note=f"by email instead ({why})")
    return [email if d.channel == "email" else d for d in decisions]


def _request(
    event: CloudEvent,
    channel: Channel,
    recipient: Recipient,
    profile: Profile,
    shop: Shop,
    now: datetime,
) -> NotificationRequest:
    data: dict[str, Any] = {
        "shop": {"name": shop.name, "url": shop.url},
        "customer": {k: profile.get(k) for k in CUSTOMER_FIELDS},
        "event": event.data.model_dump(mode="json", exclude_none=True),  # type: ignore[attr-defined]
    }
    return NotificationRequest(
        notification_id=notification_id(event.id, channel, event.type),
        channel=channel,
        template=event.type,
        language=profile.get("language") or "en",
        customer_id=event.data.customer_id,  # type: ignore[attr-defined]
        event_id=event.id,
        event_type=event.type,
        event_time=event.time,
        recipient=recipient,
        data=data,
        created_at=now,
    )


def decision_record(event: CloudEvent, decisions: list[Decision], now: datetime) -> DecisionRecord:
    """The record of what was decided about an event, for the decisions topic."""
    channels = tuple(
        ChannelOutcome(
            channel=d.channel,
            outcome="sent" if d.request is not None else "suppressed",
            reason=d.suppressed or d.note,
            notification_id=d.request.notification_id if d.request is not None else None,
        )
        for d in decisions
    )
    if channels:
        return _record(event, now, channels=channels)
    reason = "not a message for the customer (it updates what we know)"
    return _record(event, now, outcome="suppressed", reason=reason)


def held_record(
    event: CloudEvent, outcome: Outcome, reason: str | None, now: datetime
) -> DecisionRecord:
    """The record of an order event held back before any channel was considered."""
    return _record(event, now, outcome=outcome, reason=reason)


def _record(event: CloudEvent, now: datetime, **outcome: Any) -> DecisionRecord:
    data = event.data  # type: ignore[attr-defined]
    return DecisionRecord(
        at=now,
        event_id=event.id,
        event_type=event.type,
        event_time=event.time,
        customer_id=getattr(data, "customer_id", None),
        order_id=getattr(data, "order_id", None),
        order_number=getattr(data, "order_number", None),
        **outcome,
    )
