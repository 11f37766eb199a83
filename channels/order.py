"""A customer's messages on a channel stay in order across retries, and a later stage of the
same order ends an earlier one that is still waiting.

A message that fails retriably waits on the retry topic; without more, the same customer's
next message on that channel would go out first ("delivered" before "shipped"). So each
channel worker keeps, per customer, the line of that customer's messages that wait on the
retry topic, oldest first (`Line`: notification id, order, template, when it is next due).
While a customer has a line, a new message of theirs joins its end instead of going, and goes
on the retry topic too, due when the one ahead of it is (`WaitingBehind`, not an attempt);
only the first of the line is tried. Other customers are not held up.

A message that supersedes one waiting ahead of it ends that one: the same order, a later stage
(`SUPERSEDES`; "delivered" makes a waiting "shipped" or "out for delivery" pointless, and a
cancellation a waiting "placed" or "paid"). The superseded one leaves the line, its ledger
entry says `superseded` (by which message), and when its retry record comes round it is
acknowledged unsent, recorded as a decision that `aftercart explain` shows.

The lines are kept in the delivery ledger (channels/ledger.py) under `line:<customer>`: on
Kafka with the ledger's changelog, in the partition of that customer's messages, so a worker
that takes the partition over (a restart, a rebalance) takes the lines too. A message leaves
its line when it ends (sent, dead-lettered, expired, superseded, or found already sent); one
whose turn never comes because its record is gone (redriven by hand, a lost write) is dropped
from the front of the line once it is `STALE` past its due time, so nobody waits forever.

Pure functions over the line; channels/delivery.py reads and writes it around each message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from schemas.decision import ChannelOutcome, DecisionRecord
from schemas.notification import NotificationRequest

Line = list[dict[str, Any]]  # {"n": notification id, "o": order id, "t": template, "due": iso}
LINE_KEY: Final = "line:"
STALE: Final = timedelta(hours=1)
# How soon one waiting behind comes round again, at the least (the one ahead may be mid-send).
AGAIN_S: Final = 1.0

_STAGE: Final = {
    "order.placed": 1,
    "order.paid": 2,
    "fulfillment.shipped": 3,
    "fulfillment.delayed": 3,
    "fulfillment.out_for_delivery": 4,
    "fulfillment.delivered": 5,
}
# What each message makes pointless while it waits, for the same order.
SUPERSEDES: Final[dict[str, frozenset[str]]] = {
    later: frozenset(t for t, stage in _STAGE.items() if stage < _STAGE[later]) for later in _STAGE
} | {"order.cancelled": frozenset({"order.placed", "order.paid"})}


def order_of(request: NotificationRequest) -> str | None:
    """The order a message is about, if any."""
    event = request.data.get("event")
    found = event.get("order_id") if isinstance(event, dict) else None
    return str(found) if found else None


def supersedes(later: NotificationRequest, waiting: dict[str, Any]) -> bool:
    """Whether `later` makes the waiting message pointless: same order, later stage."""
    order = order_of(later)
    return (
        order is not None
        and waiting.get("o") == order
        and waiting["t"] in SUPERSEDES.get(later.template, ())
    )


@dataclass
class Turn:
    """Whether a message may go now; if not, the one it waits behind and until when. The
    messages it superseded, and the customer's line as it is after this decision."""

    line: Line
    ahead: dict[str, Any] | None = None
    until: datetime | None = None
    superseded: list[dict[str, Any]] = field(default_factory=list)

    @property
    def go(self) -> bool:
        return self.ahead is None


def turn(
    line: Line, request: NotificationRequest, now: datetime, busy: frozenset[str] = frozenset()
) -> Turn:
    """Where `request` stands in its customer's line. The messages waiting ahead of it that it
    supersedes leave the line (not one being sent right now: `busy`); a first one too stale
    to wait for is dropped; if any is still ahead, it waits behind the first of them."""
    nid = request.notification_id
    mine = next((i for i, e in enumerate(line) if e["n"] == nid), len(line))
    gone = [e for e in line[:mine] if e["n"] not in busy and supersedes(request, e)]
    rest = [e for e in line if e not in gone]
    while rest and rest[0]["n"] != nid and _due(rest[0]) < now - STALE:
        rest.pop(0)
    ahead = next((e for e in rest if e["n"] != nid), None)
    if ahead is None or rest.index(ahead) > _index(rest, nid):
        return Turn(rest, superseded=gone)
    until = max(_due(ahead), now + timedelta(seconds=AGAIN_S))
    if all(e["n"] != nid for e in rest):
        rest.append(_entry(request, until))
    return Turn(rest, ahead, until, gone)


def waiting(line: Line, request: NotificationRequest, due: datetime) -> Line:
    """The line once `request` waits on the retry topic until `due` (joining its end, or
    keeping its place with its new time)."""
    nid = request.notification_id
    if any(e["n"] == nid for e in line):
        return [_entry(request, due) if e["n"] == nid else e for e in line]
    return [*line, _entry(request, due)]


def ended(line: Line, notification_id: str) -> Line:
    """The line once this message has ended one way or another."""
    return [e for e in line if e["n"] != notification_id]


def superseded_note(request: NotificationRequest, by: str, now: datetime) -> DecisionRecord:
    """The decision record of a message a later one of its order ended while it waited."""
    found = request.data.get("event")
    event = found if isinstance(found, dict) else {}
    reason = f"superseded by {by}, a later message of the same order, while it waited to be retried"
    outcome = ChannelOutcome(
        channel=request.channel,
        outcome="suppressed",
        reason=reason,
        notification_id=request.notification_id,
    )
    return DecisionRecord(
        at=now,
        event_id=request.event_id,
        event_type=request.template,
        event_time=request.event_time,
        customer_id=request.customer_id,
        order_id=event.get("order_id"),
        order_number=event.get("order_number"),
        outcome="suppressed",
        reason=reason,
        channels=(outcome,),
    )


def _index(line: Line, nid: str) -> int:
    return next((i for i, e in enumerate(line) if e["n"] == nid), len(line))


def _entry(request: NotificationRequest, due: datetime) -> dict[str, Any]:
    entry = {"n": request.notification_id, "t": request.template, "due": due.isoformat()}
    return entry | ({"o": order} if (order := order_of(request)) else {})


def _due(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["due"])
