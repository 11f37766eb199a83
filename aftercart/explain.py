"""`aftercart explain ORDER_OR_CUSTOMER`: why a customer did or did not hear about an order.

Reads the decisions topic (what the stream processor decided about each event, per channel,
and why) and prints the matching records as a timeline in plain words. What the providers
reported later (the receipts topic: delivered, bounced...) is shown under each message sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from broker.reading import read_topic
from schemas.decision import ChannelOutcome, DecisionRecord
from schemas.receipt import DeliveryReceipt

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


def read_decisions(bootstrap: str, topic: str, timeout_s: float = 30.0) -> Iterator[DecisionRecord]:
    """Every decision record on the topic, oldest first per partition."""
    for record in read_topic(bootstrap, topic, timeout_s=timeout_s, client_id="aftercart-explain"):
        if record.value:
            yield DecisionRecord.model_validate_json(record.value)


def read_receipts(bootstrap: str, topic: str, timeout_s: float = 30.0) -> Iterator[DeliveryReceipt]:
    """Every delivery receipt on the topic, oldest first per partition."""
    for record in read_topic(bootstrap, topic, timeout_s=timeout_s, client_id="aftercart-explain"):
        if record.value:
            yield DeliveryReceipt.model_validate_json(record.value)


def matches(record: DecisionRecord, subject: str) -> bool:
    """A customer id, an order id, an order number (#1001 or 1001), or an id's last part."""
    wanted = subject.strip()
    number = wanted if wanted.startswith("#") else f"#{wanted}"
    for value in (record.customer_id, record.order_id):
        if value and (value == wanted or value.rsplit("/", 1)[-1] == wanted):
            return True
    return record.order_number == number


def timeline(
    records: Iterable[DecisionRecord], subject: str, receipts: Iterable[DeliveryReceipt] = ()
) -> list[str]:
    """The matching records as lines a person reads, in event time order.

    Records of the same orders come along: a refund held back while its order was unknown
    names only the order, yet belongs to the customer's and the order number's story. Each
    message sent is followed by what its provider reported, oldest first.
    """
    reported = _by_notification(receipts)
    everything = list(records)
    orders = {r.order_id for r in everything if r.order_id and matches(r, subject)}
    chosen = (r for r in everything if matches(r, subject) or r.order_id in orders)
    found = sorted(chosen, key=lambda r: (r.event_time, r.at))
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
            lines.append(_channel_line(outcome))
            if outcome.outcome == "sent" and outcome.notification_id:
                lines += [_receipt_line(r) for r in reported.get(outcome.notification_id, ())]
    return lines


def _by_notification(receipts: Iterable[DeliveryReceipt]) -> dict[str, list[DeliveryReceipt]]:
    """Receipts per notification, once each (a redelivered callback has the same id)."""
    unique = {r.receipt_id: r for r in receipts}
    grouped: dict[str, list[DeliveryReceipt]] = {}
    for receipt in sorted(unique.values(), key=lambda r: r.at):
        grouped.setdefault(receipt.notification_id, []).append(receipt)
    return grouped


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
    if outcome.outcome == "sent":
        note = f", {outcome.reason}" if outcome.reason else ""
        return f"    {channel:<9} {words} (notification {outcome.notification_id}){note}"
    detail = f": {outcome.reason}" if outcome.reason else ""
    until = f" until {_when(outcome.until)}" if outcome.until else ""
    return f"    {channel:<9} {words}{until}{detail}"


def _receipt_line(receipt: DeliveryReceipt) -> str:
    channel = CHANNEL_WORDS[receipt.channel]
    words = RECEIPT_WORDS.get(receipt.status, receipt.status)
    detail = f": {receipt.reason}" if receipt.reason else ""
    return f"    {channel:<9} {words} {_when(receipt.at)}{detail}"
