"""Who hears what, on which channel, and when: pure functions from a message and known state.

A message is what one event (or one scheduled reminder or review request) has to say. Per
channel it is sent now, deferred to a later time (quiet hours, the marketing cap), or not
sent, with the reason in plain words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from schemas.common import Channel
from schemas.events import CloudEvent
from schemas.notification import NotificationRequest, Recipient, notification_id
from streams.news import NEWS_WORDS, news_of
from streams.plans import Plan, booked
from streams.policy import Policy
from streams.profiles import Preferences, Profile
from streams.timing import QuietHours, cap_until, quiet_until, zone

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
MARKETING = frozenset({"checkout.reminder", "review.request"})
# What templates may say about the customer (personal, never contact details).
CUSTOMER_FIELDS = (
    "first_name",
    "last_name",
    "loyalty_points",
    "loyalty_tier",
    "order_count",
    "first_time_buyer",
)
LOYALTY_FIELDS = frozenset({"loyalty_points", "loyalty_tier"})
_WITHOUT_LOYALTY = tuple(f for f in CUSTOMER_FIELDS if f not in LOYALTY_FIELDS)
CHANNEL_WORDS = {"email": "email", "sms": "SMS", "push": "web push"}
CATEGORY_WORDS = {"transactional": "order and delivery news", "marketing": "offers and reminders"}
MISSING_CONTACT = {
    "email": "no email address",
    "sms": "no mobile number",
    "push": "no push subscription",
}


@dataclass(frozen=True)
class Message:
    """What one event or scheduled message says: a template and whom it is about.

    subject, channel and template give the notification id, so the same message decided
    again (a redelivered event, a schedule fired twice) is recognizably the same message.
    """

    event: CloudEvent
    template: str
    subject: str
    extra: Mapping[str, Any] = field(default_factory=dict)
    channels: tuple[Channel, ...] = CHANNEL_ORDER

    @property
    def category(self) -> str:
        """transactional or marketing."""
        return category_of(self.template) or "marketing"

    @property
    def news(self) -> str:
        """orders, shipping, reviews or offers (streams/news.py)."""
        return news_of(self.template)


@dataclass(frozen=True)
class Decision:
    """One channel's outcome: a request to send now, a later time, or why nothing is sent."""

    channel: Channel
    notification_id: str
    request: NotificationRequest | None = None
    suppressed: str | None = None
    deferred: datetime | None = None
    note: str | None = None  # why it was deferred, or that it went by email instead
    unreachable: bool = False  # chosen explicitly, but no usable contact point on this channel


def category_of(template: str) -> str | None:
    """transactional, marketing, or None for events that are not messages themselves."""
    if template in TRANSACTIONAL:
        return "transactional"
    if template in MARKETING:
        return "marketing"
    return None


def message_for(event: CloudEvent) -> Message | None:
    """The message an event says right away, if it is one (order and delivery news)."""
    if event.type not in TRANSACTIONAL:
        return None
    return Message(event, event.type, event.id)


def switch(
    prefs: Preferences | None,
    profile: Profile,
    category: str,
    channel: Channel,
    news: str | None = None,
) -> tuple[bool, str | None, bool]:
    """Whether the customer gets this category on this channel: (on, why not, chosen).

    What the customer said wins: of the news itself (orders, shipping, reviews, offers:
    streams/news.py) before its kind (a preferences event, or the shop's consent fields,
    which are recorded as preferences). Unsaid: order news by email, and by web push once a
    browser subscribed; SMS only when chosen; marketing never without consent.
    """
    prefs = prefs or {}
    words = CHANNEL_WORDS[channel]
    for said_of, what in ((news, NEWS_WORDS.get(news or "")), (category, CATEGORY_WORDS[category])):
        said = prefs.get(said_of or "", {}).get(channel)
        if said is not None:
            why = (
                None
                if said
                else f"{words} is switched off for {what}{_by(prefs, said_of, channel)}"
            )
            return bool(said), why, bool(said)
    if category == "marketing":
        return False, f"no consent to marketing by {words}", False
    if channel == "email":
        return True, None, False
    if channel == "push":
        if profile.get("push_subscriptions"):
            return True, None, False
        return False, MISSING_CONTACT["push"], False
    return False, f"{words} was not chosen for {CATEGORY_WORDS[category]}", False


def _by(prefs: Preferences, said_of: str | None, channel: Channel) -> str:
    """by the customer on <day> (<where>), when the switch remembers it."""
    told = prefs.get("said", {}).get(f"{said_of}.{channel}")
    return f" by the customer on {told['at']} ({told['via']})" if told else ""


def paused(prefs: Preferences | None, now: datetime) -> str | None:
    """Why no offer or reminder goes now, while the customer paused them; else None."""
    pause = (prefs or {}).get("paused")
    if not pause or datetime.fromisoformat(pause["until"]) <= now:
        return None
    via = f" ({pause['via']})" if pause.get("via") else ""
    return f"offers and reminders paused by the customer until {pause['until'][:10]}{via}"


def quiet_hours(prefs: Preferences | None, policy: Policy) -> QuietHours:
    """The customer's own quiet hours if they set them, else the shop's."""
    own = (prefs or {}).get("quiet_hours")
    if own:
        return QuietHours(time.fromisoformat(own["start"]), time.fromisoformat(own["end"]))
    return policy.quiet


def decide(
    message: Message,
    profile: Profile | None,
    prefs: Preferences | None,
    plan: Plan,
    *,
    policy: Policy,
    now: datetime,
) -> list[Decision]:
    """Decide, per channel, whether and when this message reaches its customer."""
    profile = profile or {}
    category = message.category
    decisions = []
    for channel in message.channels:
        nid = notification_id(message.subject, channel, message.template)
        on, why_not, chosen = switch(prefs, profile, category, channel, message.news)
        if on and category == "marketing":
            why_not = paused(prefs, now)
            on = why_not is None
        if not on:
            decisions.append(Decision(channel, nid, suppressed=why_not))
            continue
        recipient = _recipient(channel, profile)
        if recipient is None:
            missing = _missing(channel, profile)
            decisions.append(Decision(channel, nid, suppressed=missing, unreachable=chosen))
            continue
        wait = _wait(message, channel, nid, profile, prefs, plan, policy, now)
        if wait is not None:
            decisions.append(Decision(channel, nid, deferred=wait[0], note=wait[1]))
            continue
        request = _request(message, channel, nid, recipient, profile, policy, now)
        decisions.append(Decision(channel, nid, request=request))
    if category == "transactional" and message.channels == CHANNEL_ORDER:
        return _fall_back_to_email(decisions, message, profile, policy, now)
    return decisions


def _wait(
    message: Message,
    channel: Channel,
    nid: str,
    profile: Profile,
    prefs: Preferences | None,
    plan: Plan,
    policy: Policy,
    now: datetime,
) -> tuple[datetime, str] | None:
    """Until when a message must wait, and why; None when it may go now."""
    waits = []
    if channel in ("sms", "push"):
        quiet = quiet_hours(prefs, policy)
        tz = zone(profile.get("timezone"))
        until = quiet_until(now, tz, quiet)
        if until is not None:
            waits.append((until, f"quiet hours ({quiet.describe()} {tz.key})"))
    if message.category == "marketing":
        taken = booked(plan, channel, besides=nid)
        until = cap_until(taken, now, cap=policy.cap, period=policy.cap_period)
        if until is not None:
            hours = round(policy.cap_period.total_seconds() / 3600, 1)
            by = CHANNEL_WORDS[channel]
            waits.append((until, f"at most {policy.cap} offer or reminder by {by} per {hours:g} h"))
    return max(waits) if waits else None


def _recipient(channel: Channel, profile: Profile) -> Recipient | None:
    name = " ".join(p for p in (profile.get("first_name"), profile.get("last_name")) if p) or None
    if channel == "email" and profile.get("email") and not _bounced(profile):
        return Recipient(name=name, email=profile["email"])
    if channel == "sms" and profile.get("phone"):
        return Recipient(name=name, phone=profile["phone"])
    subs = profile.get("push_subscriptions") or []
    if channel == "push" and subs:
        return Recipient.model_validate({"name": name, "push": subs[-1]}, strict=False)
    return None


def _bounced(profile: Profile) -> bool:
    flagged = profile.get("email_invalid") or {}
    return bool(flagged) and flagged.get("address") == profile.get("email")


def _missing(channel: Channel, profile: Profile) -> str:
    if channel == "email" and _bounced(profile):
        return f"the email address cannot be used ({profile['email_invalid']['reason']})"
    invalid = profile.get("phone_invalid")
    if channel == "sms" and invalid:
        return f"the mobile number cannot take texts ({invalid.get('reason', 'invalid')})"
    return MISSING_CONTACT[channel]


def _fall_back_to_email(
    decisions: list[Decision], message: Message, profile: Profile, policy: Policy, now: datetime
) -> list[Decision]:
    """Order news the customer chose to get by SMS or push, which cannot reach them there,
    goes by email instead (when nothing else reaches them and they have an address)."""
    if any(d.request is not None or d.deferred is not None for d in decisions):
        return decisions
    failed = [d for d in decisions if d.channel != "email" and d.unreachable]
    recipient = _recipient("email", profile)
    if not failed or recipient is None:
        return decisions
    why = "; ".join(f"{CHANNEL_WORDS[d.channel]}: {d.suppressed}" for d in failed)
    nid = notification_id(message.subject, "email", message.template)
    request = _request(message, "email", nid, recipient, profile, policy, now)
    email = Decision("email", nid, request=request, note=f"by email instead ({why})")
    return [email if d.channel == "email" else d for d in decisions]


def _request(
    message: Message,
    channel: Channel,
    nid: str,
    recipient: Recipient,
    profile: Profile,
    policy: Policy,
    now: datetime,
) -> NotificationRequest:
    event = message.event
    fields = CUSTOMER_FIELDS if policy.loyalty else _WITHOUT_LOYALTY
    customer = {k: profile.get(k) for k in fields}
    if policy.loyalty and message.template == "order.placed":
        customer["points_earned"] = _points_of(profile, event.data.order_id)  # type: ignore[attr-defined]
    # The shop's name, logo and links are the channel worker's to add (its Renderer).
    data: dict[str, Any] = {
        "customer": customer,
        "event": event.data.model_dump(mode="json", exclude_none=True),  # type: ignore[attr-defined]
        **message.extra,
    }
    if channel == "email" and policy.preferences is not None:
        data["preferences_url"] = policy.preferences(event.data.customer_id, now)  # type: ignore[attr-defined]
    return NotificationRequest(
        notification_id=nid,
        channel=channel,
        template=message.template,
        language=profile.get("language") or "en",
        customer_id=event.data.customer_id,  # type: ignore[attr-defined]
        event_id=event.id,
        event_type=event.type,
        event_time=event.time,
        recipient=recipient,
        data=data,
        created_at=now,
    )


def _points_of(profile: Profile, order_id: str) -> int | None:
    orders = profile.get("recent_orders") or []
    return next((o.get("points") for o in orders if o.get("order_id") == order_id), None)
