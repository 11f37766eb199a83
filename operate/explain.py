"""`aftercart explain ORDER_OR_CUSTOMER`: why a customer did or did not hear about an order.

The decisions (what the stream processor decided about each event, per channel, and why) as a
timeline in plain words; under each message it decided to send, what became of it
(operate/history.py): each failed attempt, retrying, accepted by the provider, expired unsent
(past its useful life), dead-lettered, and what the provider reported later (delivered,
bounced...). A message reads as sent only once its provider accepted it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from operate.history import History, Life, Step
from schemas.decision import ChannelOutcome, DecisionRecord

EVENT_WORDS = {
    "order.placed": "order placed",
    "order.paid": "payment received",
    "order.cancelled": "order cancelled",
    "order.refunded": "refund",
    "fulfillment.shipped": "shipped",
    "fulfillment.out_for_delivery": "out for delivery",
    "fulfillment.delivered": "delivered",
    "fulfillment.delayed": "delivery delayed",
    "checkout.updated": "checkout started or changed",
    "checkout.abandoned": "checkout abandoned",
    "checkout.reminder": "checkout reminder",
    "review.request": "review request",
    "customer.upserted": "customer details",
    "preferences.updated": "preferences changed",
    "webpush.subscribed": "web push subscription",
    "contact.failed": "a contact point failed",
}
CHANNEL_WORDS = {"email": "email", "sms": "SMS", "push": "web push"}
OUTCOME_WORDS = {
    "sent": "sent",
    "suppressed": "not sent",
    "deferred": "deferred",
    "cancelled": "cancelled",
    "waiting": "held",
    "dropped": "dropped",
}

RECEIPT_WORDS = {"complained": "reported as spam"}
# Where a message decided on stands, in words; after "sent", the provider's latest report.
STATE_WORDS = {
    "pending": "to be sent, no outcome yet",
    "unknown": "to be sent, no outcome yet",
    "retrying": "not sent yet, retrying",
    "sent": "sent",
    "expired": "NOT SENT, expired: past its useful life",
    "superseded": "NOT SENT, superseded by a later message of its order",
    "dead-lettered": "NOT SENT, dead-lettered",
}
STEP_WORDS = {
    "failed": "attempt failed",
    "retrying": "retrying:",
    "accepted": "accepted by the provider",
    "expired": "expired unsent (past its useful life)",
    "superseded": "superseded, unsent,",
    "dead": "dead-lettered:",
}


def matches(record: DecisionRecord, subject: str) -> bool:
    """A customer id, an order id, an order number (#1001 or 1001), or an id's last part."""
    wanted = subject.strip()
    number = wanted if wanted.startswith("#") else f"#{wanted}"
    for value in (record.customer_id, record.order_id):
        if value and (value == wanted or value.rsplit("/", 1)[-1] == wanted):
            return True
    return record.order_number == number


def chosen(records: Iterable[DecisionRecord], subject: str) -> list[DecisionRecord]:
    """The records about the subject, in event time order.

    Records of the same orders come along: a refund held back while its order was unknown
    names only the order, yet belongs to the customer's and the order number's story."""
    everything = list(records)
    orders = {r.order_id for r in everything if r.order_id and matches(r, subject)}
    found = (r for r in everything if matches(r, subject) or r.order_id in orders)
    return sorted(found, key=lambda r: (r.event_time, r.at))


def timeline(
    records: Iterable[DecisionRecord], subject: str, history: History | None = None
) -> list[str]:
    """The matching records as lines a person reads, in event time order; under each message
    decided on, what became of it, oldest first."""
    history = history or History()
    found = chosen(records, subject)
    if not found:
        return [f"nothing decided yet about {subject!r} (no event with that customer or order)"]
    customers = sorted({r.customer_id for r in found if r.customer_id})
    lines = [f"{subject}: {len(found)} events; customer {', '.join(customers) or 'unknown'}"]
    for record in found:
        lines.append(_headline(record))
        if record.outcome is not None:
            until = f" until {_when(record.until)}" if record.until else ""
            lines.append(f"    {OUTCOME_WORDS[record.outcome]}{until}: {record.reason}")
        for outcome in record.channels:
            if outcome.outcome == "sent" and outcome.notification_id:
                life = history.life(outcome.notification_id)
                lines.append(_sent_line(outcome, life))
                lines += [
                    _step_line(outcome.channel, s) for s in life.ordered() if s.kind != "decided"
                ]
            else:
                lines.append(_channel_line(outcome))
    return lines


def as_json(
    records: Iterable[DecisionRecord], subject: str, history: History | None = None
) -> dict[str, Any]:
    """The same story as `timeline`, as one JSON-ready object: each event with its decision
    and, per channel, the message's state and every step of its life."""
    history = history or History()
    found = chosen(records, subject)
    events = []
    for record in found:
        event = record.model_dump(mode="json", exclude={"channels"})
        event["channels"] = [_channel_json(o, history) for o in record.channels]
        events.append(event)
    customers = sorted({r.customer_id for r in found if r.customer_id})
    return {"subject": subject, "found": bool(found), "customers": customers, "events": events}


def life_json(life: Life) -> dict[str, Any]:
    """A notification's state, its provider's id and every step of its life, JSON-ready."""
    return {
        "state": life.state,
        "failed": life.failed,
        "provider_id": life.provider_id,
        "steps": [
            {"at": s.at.isoformat(), "kind": s.kind, "detail": s.detail, "code": s.code}
            for s in life.ordered()
        ],
    }


def _channel_json(outcome: ChannelOutcome, history: History) -> dict[str, Any]:
    out = outcome.model_dump(mode="json")
    if outcome.outcome == "sent" and outcome.notification_id:
        out |= life_json(history.known(outcome.notification_id))
    return out


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def _headline(record: DecisionRecord) -> str:
    when = _when(record.event_time)
    what = EVENT_WORDS.get(record.event_type, record.event_type)
    order = f", order {record.order_number}" if record.order_number else ""
    return f"{when}  {what}{order}"


def _channel_line(outcome: ChannelOutcome) -> str:
    words = OUTCOME_WORDS[outcome.outcome]
    channel = CHANNEL_WORDS[outcome.channel]
    detail = f": {outcome.reason}" if outcome.reason else ""
    until = f" until {_when(outcome.until)}" if outcome.until else ""
    return f"    {channel:<9} {words}{until}{detail}"


def _sent_line(outcome: ChannelOutcome, life: Life) -> str:
    """A message decided on: where it stands (sent only once the provider accepted it)."""
    state = life.state
    words = STATE_WORDS.get(state) or f"sent, {RECEIPT_WORDS.get(state, state)}"
    note = f", {outcome.reason}" if outcome.reason else ""
    channel = CHANNEL_WORDS[outcome.channel]
    return f"    {channel:<9} {words} (notification {outcome.notification_id}){note}"


def _step_line(channel: str, step: Step) -> str:
    """One thing that happened to a message, under it."""
    name = f"    {CHANNEL_WORDS[channel]:<9}"
    if step.kind == "receipt":
        status, _, reason = step.detail.partition(": ")
        detail = f": {reason}" if reason else ""
        return f"{name} {RECEIPT_WORDS.get(status, status)} {_when(step.at)}{detail}"
    detail = f": {step.detail}" if step.detail else ""
    if step.kind in ("retrying", "dead"):
        return f"{name} {STEP_WORDS[step.kind]} {step.detail} ({_when(step.at)})"
    return f"{name} {STEP_WORDS[step.kind]} {_when(step.at)}{detail}"
