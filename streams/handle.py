"""One customer's event, or one wake-up for their waiting messages, in and everything it
causes out: requests to send, the changed plan, and the decision records. Pure; the faust
agent around it (streams/app.py) only reads and writes tables and topics."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas.codec import decode_event
from schemas.decision import DecisionRecord
from schemas.events import CloudEvent
from schemas.notification import NotificationRequest
from streams.decide import Decision, Message, decide, message_for, switch
from streams.lifecycle import STAGES, apply_event, scheduled
from streams.plans import Pending, Plan, add, book, copy, remember, take_due
from streams.policy import Policy
from streams.profiles import Preferences, Profile
from streams.records import decision_record, held_record

# (SKUs of an order, SKUs never to suggest, how many) -> [{"sku", "name"}]
Complements = Callable[[Sequence[str], Collection[str], int], list[dict[str, Any]]]
WITH_SUGGESTIONS = frozenset({"order.placed", "fulfillment.delivered", "review.request"})
WITH_OFFER = frozenset({"order.placed", "fulfillment.delivered"})


def no_complements(skus: Sequence[str], exclude: Collection[str], n: int) -> list[dict[str, Any]]:
    """When no bought-together counts are at hand."""
    return []


@dataclass
class Outcome:
    """Everything one input caused."""

    plan: Plan
    changed: bool = False
    requests: list[NotificationRequest] = field(default_factory=list)
    records: list[DecisionRecord] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What a customer's decisions read, besides the input."""

    profile: Profile | None
    prefs: Preferences | None
    policy: Policy
    now: datetime
    complements: Complements = no_complements


def on_event(event: CloudEvent, plan: Plan | None, ctx: Context) -> Outcome:
    """An event: its effect on waiting messages, then its own message, if any."""
    out = Outcome(copy(plan))
    effects = apply_event(event, out.plan, ctx.policy)
    out.changed = bool(effects.cancelled or effects.scheduled or _touched(event, plan, out.plan))
    for pending, by in effects.cancelled:
        out.records.append(
            held_record(
                _event(pending), "cancelled", f"by {by}", ctx.now, message=pending["template"]
            )
        )
    for pending in effects.scheduled:
        record = held_record(
            event,
            "deferred",
            pending["why"],
            ctx.now,
            message=pending["template"],
            until=_due(pending),
        )
        out.records.append(record)
    if effects.stale is not None:
        out.records.append(held_record(event, "suppressed", effects.stale, ctx.now))
        return out
    message = message_for(event)
    if message is None:
        if not effects.scheduled:
            out.records.append(decision_record(event, [], ctx.now))
        return out
    _deliver(out, _personal(message, ctx), ctx, message_name=None)
    return out


def on_wake(plan: Plan | None, ctx: Context) -> Outcome:
    """The clock: send (or defer again) every waiting message whose time has come."""
    out = Outcome(copy(plan))
    for pending in take_due(out.plan, ctx.now):
        out.changed = True
        event = _event(pending)
        if pending["template"] == "checkout.reminder":
            fired = out.plan["reminded"].get(pending["checkout_id"], [])
            number = pending["extra"]["reminder"]
            remember(out.plan, "reminded", pending["checkout_id"], sorted({*fired, number}))
        if pending["template"] == "review.request":
            remember(out.plan, "reviews", pending["order_id"], "sent")
        message = Message(
            event,
            pending["template"],
            pending["subject"],
            extra=pending["extra"],
            channels=tuple(pending["channels"]),
        )
        _deliver(out, _personal(message, ctx), ctx, message_name=pending["template"])
    return out


def _deliver(out: Outcome, message: Message, ctx: Context, message_name: str | None) -> None:
    decisions = decide(message, ctx.profile, ctx.prefs, out.plan, policy=ctx.policy, now=ctx.now)
    for d in decisions:
        if d.request is not None:
            out.requests.append(d.request)
            if message.category == "marketing":
                book(out.plan, d.channel, d.notification_id, ctx.now, ctx.now)
                out.changed = True
        elif d.deferred is not None:
            _defer(out, message, d, ctx)
    out.records.append(decision_record(message.event, decisions, ctx.now, message=message_name))


def _defer(out: Outcome, message: Message, d: Decision, ctx: Context) -> None:
    assert d.deferred is not None
    pending = scheduled(message.event, message.template, message.subject, d.deferred, (d.channel,))
    base = {k: v for k, v in message.extra.items() if k in ("reminder", "order")}
    pending.update(extra=base, why=d.note)
    add(out.plan, pending)
    if message.category == "marketing":
        book(out.plan, d.channel, d.notification_id, d.deferred, ctx.now)
    out.changed = True


def _personal(message: Message, ctx: Context) -> Message:
    """The message with what it says to this customer: the order's items, bought-together
    suggestions and the first-order offer (those two only with consent to marketing)."""
    extra = dict(message.extra)
    profile = ctx.profile or {}
    order_id = getattr(message.event.data, "order_id", None)  # type: ignore[attr-defined]
    order = _order(profile, order_id)
    if message.template == "review.request" and order is not None:
        extra["order"] = order
    consents, _, _ = switch(ctx.prefs, profile, "marketing", "email")
    if consents and message.template in WITH_SUGGESTIONS and ctx.policy.recommendations:
        skus = [i["sku"] for i in (order or {}).get("items", [])]
        if message.template == "order.placed":
            skus = [i.sku for i in message.event.data.items]  # type: ignore[attr-defined]
        bought = {i["sku"] for o in profile.get("recent_orders", []) for i in o.get("items", [])}
        suggestions = ctx.complements(skus, bought | set(skus), ctx.policy.recommendations)
        if suggestions:
            extra["recommendations"] = suggestions
    if message.category == "marketing" and ctx.policy.unsubscribe is not None:
        customer = message.event.data.customer_id  # type: ignore[attr-defined]
        extra["unsubscribe_url"] = ctx.policy.unsubscribe(customer)
    offer = ctx.policy.offer
    if consents and offer and message.template in WITH_OFFER and profile.get("first_time_buyer"):
        extra["offer"] = {"code": offer.code, "percent": offer.percent}
    if extra == message.extra:
        return message
    return Message(message.event, message.template, message.subject, extra, message.channels)


def _order(profile: Profile, order_id: str | None) -> dict[str, Any] | None:
    for order in profile.get("recent_orders", []):
        if order_id and order.get("order_id") == order_id:
            return {"number": order.get("number"), "items": order.get("items", [])}
    return None


def _event(pending: Pending) -> CloudEvent:
    return decode_event(pending["event"].encode())


def _due(pending: Pending) -> datetime:
    return datetime.fromisoformat(pending["due"])


def _touched(event: CloudEvent, before: Plan | None, after: Plan) -> bool:
    """Whether the event changed what the plan remembers (a parcel's stage, a review)."""
    if event.type not in STAGES and event.type not in ("order.refunded", "order.cancelled"):
        return False
    old = before or {}
    return old.get("parcels") != after["parcels"] or old.get("reviews") != after["reviews"]
