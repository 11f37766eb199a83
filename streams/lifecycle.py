"""What an event does to the messages a customer is waiting for: pure rules over the plan.

- Parcels move forward only: news older than what a parcel already reached (out for
  delivery after delivered) is stale and says nothing. A delay notice cancels a pending
  "out for delivery" message of that parcel; later news cancels earlier news still waiting.
- Delivered: a review request, review_after later (one per order), cancelled by a refund or
  a cancellation of the order.
- A checkout started, changed or abandoned: reminders after each configured delay (each
  reminder at most once per checkout), cancelled the moment an order is placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from schemas.codec import encode
from schemas.events import CheckoutAbandoned, CheckoutUpdated, CloudEvent, FulfillmentDelivered
from streams.decide import CHANNEL_ORDER, category_of
from streams.plans import Pending, Plan, add, cancel, iso, remember
from streams.policy import Policy

STAGES = {"fulfillment.shipped": 1, "fulfillment.out_for_delivery": 2, "fulfillment.delivered": 3}
STAGE_WORDS = {1: "shipped", 2: "out for delivery", 3: "delivered"}
EVENT_WORDS = {
    "order.placed": "the order placed",
    "order.cancelled": "the order's cancellation",
    "order.refunded": "a refund",
    "fulfillment.delayed": "a delay notice",
    "checkout.updated": "the checkout's completion",
}


@dataclass
class Effects:
    """What an event changed besides its own message."""

    stale: str | None = None  # why the event's own message is not sent
    cancelled: list[tuple[Pending, str]] = field(default_factory=list)  # and by what
    scheduled: list[Pending] = field(default_factory=list)


def apply_event(event: CloudEvent, plan: Plan, policy: Policy) -> Effects:
    """Change `plan` (a copy the caller owns) for this event; say what changed."""
    effects = Effects()
    data = event.data  # type: ignore[attr-defined]
    kind = event.type
    if kind in STAGES or kind == "fulfillment.delayed":
        _parcel(event, plan, effects)
    if kind == "fulfillment.delivered" and effects.stale is None:
        _review(event, data, plan, policy, effects)
    if kind in ("order.refunded", "order.cancelled"):
        by = EVENT_WORDS[kind]
        gone = cancel(
            plan, lambda p: p["template"] == "review.request" and p["order_id"] == data.order_id
        )
        effects.cancelled += [(p, by) for p in gone]
        remember(plan, "reviews", data.order_id, f"cancelled by {by}")
    if kind == "order.placed" or (kind == "checkout.updated" and data.completed):
        by = EVENT_WORDS[kind]
        wanted = None if kind == "order.placed" else data.checkout_id
        gone = cancel(
            plan,
            lambda p: (
                p["template"] == "checkout.reminder"
                and (wanted is None or p["checkout_id"] == wanted)
            ),
        )
        effects.cancelled += [(p, by) for p in gone]
    if isinstance(data, CheckoutAbandoned | CheckoutUpdated) and not _completed(data):
        _reminders(event, data, plan, policy, effects)
    return effects


def _completed(data: CheckoutAbandoned | CheckoutUpdated) -> bool:
    return isinstance(data, CheckoutUpdated) and data.completed


def _parcel(event: CloudEvent, plan: Plan, effects: Effects) -> None:
    data = event.data  # type: ignore[attr-defined]
    parcel = f"{data.order_id}|{data.fulfillment_id}"
    reached = plan["parcels"].get(parcel, 0)
    rank = STAGES.get(event.type)
    if rank is None:  # a delay: news unless the parcel was delivered
        if reached >= 3:
            effects.stale = "stale: the parcel was already delivered"
            return
        gone = cancel(
            plan,
            lambda p: p["parcel"] == parcel and p["template"] == "fulfillment.out_for_delivery",
        )
        effects.cancelled += [(p, EVENT_WORDS["fulfillment.delayed"]) for p in gone]
        return
    if rank < reached or rank == reached == 3:
        effects.stale = f"stale: the parcel already reached {STAGE_WORDS[reached]}"
        return
    remember(plan, "parcels", parcel, rank)
    later = f"later news ({STAGE_WORDS[rank]})"
    gone = cancel(plan, lambda p: p["parcel"] == parcel and STAGES.get(p["template"], 9) < rank)
    effects.cancelled += [(p, later) for p in gone]


def _review(
    event: CloudEvent, data: FulfillmentDelivered, plan: Plan, policy: Policy, effects: Effects
) -> None:
    if data.order_id in plan["reviews"]:
        return  # one request per order: scheduled, sent or cancelled already
    delivered = data.delivered_at or event.time
    pending = scheduled(
        event, "review.request", f"review:{data.order_id}", delivered + policy.review_after
    )
    pending.update(order_id=data.order_id, why=f"{_days(policy)} after delivery")
    add(plan, pending)
    remember(plan, "reviews", data.order_id, "scheduled")
    effects.scheduled.append(pending)


def _reminders(
    event: CloudEvent,
    data: CheckoutAbandoned | CheckoutUpdated,
    plan: Plan,
    policy: Policy,
    effects: Effects,
) -> None:
    if not data.items or not data.recovery_url:
        return  # nothing to come back to
    fired = plan["reminded"].get(data.checkout_id, [])
    for number, delay in enumerate(policy.reminders, start=1):
        if number in fired:
            continue
        subject = f"checkout:{data.checkout_id}:{number}"
        pending = scheduled(event, "checkout.reminder", subject, event.time + delay)
        hours = delay.total_seconds() / 3600
        pending.update(
            checkout_id=data.checkout_id,
            extra={"reminder": number},
            why=f"reminder {number}, {hours:g} h after the checkout was left",
        )
        add(plan, pending)  # replaces the same reminder scheduled from an earlier update
        effects.scheduled.append(pending)


def scheduled(
    event: CloudEvent,
    template: str,
    subject: str,
    due: datetime,
    channels: tuple[str, ...] = CHANNEL_ORDER,
) -> Pending:
    """A waiting message answering `event`; its id is unique per subject, template, channels."""
    data = event.data  # type: ignore[attr-defined]
    fulfillment = getattr(data, "fulfillment_id", None)
    order = getattr(data, "order_id", None)
    return {
        "id": f"{subject}|{template}|{'+'.join(channels)}",
        "due": iso(due),
        "template": template,
        "category": category_of(template),
        "channels": list(channels),
        "subject": subject,
        "event": encode(event).decode(),
        "extra": {},
        "why": None,
        "order_id": order,
        "parcel": f"{order}|{fulfillment}" if fulfillment else None,
        "checkout_id": getattr(data, "checkout_id", None),
    }


def _days(policy: Policy) -> str:
    days = policy.review_after.total_seconds() / 86400
    return f"{days:g} day" + ("" if days == 1 else "s")
