"""Which customer an order event is for: a pure fold over an order's events.

Shops do not always say: Shopify's refund and fulfillment-event webhooks name only the order.
Orders placed and such incomplete events meet here, keyed by order; once the order's customer
and number are known an incomplete event is completed and goes back to the events topic, keyed
by its customer. An event for an order not yet seen (webhooks arrive in any order) waits in the
order's state until the order turns up, and is released then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from schemas.codec import decode_event, encode
from schemas.decision import DecisionRecord
from schemas.events import CloudEvent
from streams.records import held_record

OrderState = dict[str, Any]
MAX_WAITING = 20
MAX_PARCELS = 10
TRACKING = ("carrier", "tracking_number", "tracking_url")


@dataclass(frozen=True)
class Resolution:
    """What to pass on, the order's new state (None: unchanged), and why anything waits."""

    ready: list[CloudEvent] = field(default_factory=list)
    state: OrderState | None = None
    waiting: str | None = None
    dropped: str | None = None


def is_complete(event: CloudEvent) -> bool:
    """An order event that names its customer and order number can be decided on."""
    data = event.data  # type: ignore[attr-defined]
    return data.customer_id is not None and data.order_number is not None


def index_record(event: CloudEvent) -> bytes:
    """What the orders agent needs of a placed order: whose it is and its number."""
    data = event.data  # type: ignore[attr-defined]
    ids = {"customer_id": data.customer_id, "order_number": data.order_number}
    return orjson.dumps({"index": ids})


def read_index(raw: bytes) -> dict[str, str] | None:
    """The ids of an index record; None for anything else (an event)."""
    if not raw.startswith(b'{"index"'):
        return None
    ids: dict[str, str] = orjson.loads(raw)["index"]
    return ids


def learn(ids: dict[str, str], state: OrderState | None) -> Resolution:
    """An order's customer and number are known: release what waited for them."""
    return _fold(ids, state, None)


def resolve(event: CloudEvent, state: OrderState | None) -> Resolution:
    """Complete an incomplete order event from the order's state, or keep it waiting."""
    data = event.data  # type: ignore[attr-defined]
    ids = {name: getattr(data, name) for name in ("customer_id", "order_number")}
    return _fold(ids, state, event)


def held_records(event: CloudEvent, result: Resolution, now: datetime) -> list[DecisionRecord]:
    """What the decisions topic is told of an event that waits for its order, or is dropped."""
    records = []
    if result.waiting:
        records.append(held_record(event, "waiting", result.waiting, now))
    if result.dropped:
        records.append(held_record(event, "dropped", result.dropped, now))
    return records


def _fold(
    ids: Mapping[str, str | None], state: OrderState | None, event: CloudEvent | None
) -> Resolution:
    known = dict(state or {})
    learned = {k: v for k, v in ids.items() if v is not None and known.get(k) is None}
    known.update(learned)
    tracked = event is not None and _remember_tracking(known, event)
    if known.get("customer_id") is None or known.get("order_number") is None:
        return _wait(event, known) if event is not None else Resolution(state=known)
    ready = [] if event is None else [_complete(event, known)]
    waiting = known.pop("waiting", [])
    for raw in waiting:
        early = decode_event(raw.encode())
        _remember_tracking(known, early)
        ready.append(_complete(early, known))
    changed = bool(learned) or bool(waiting) or tracked
    return Resolution(ready=ready, state=known if changed else None)


def _remember_tracking(known: OrderState, event: CloudEvent) -> bool:
    """Keep a parcel's carrier and tracking, so later news about it can link to tracking too
    (Shopify's fulfillment events name only the parcel)."""
    data = event.data  # type: ignore[attr-defined]
    fid = getattr(data, "fulfillment_id", None)
    given = {k: getattr(data, k) for k in TRACKING if getattr(data, k, None) is not None}
    if fid is None or not given:
        return False
    tracking = dict(known.get("tracking", {}))
    merged = tracking.get(fid, {}) | given
    if tracking.get(fid) == merged:
        return False
    tracking[fid] = merged
    known["tracking"] = dict(list(tracking.items())[-MAX_PARCELS:])
    return True


def _wait(event: CloudEvent, known: OrderState) -> Resolution:
    waiting = list(known.get("waiting", []))
    order_id = event.data.order_id  # type: ignore[attr-defined]
    if len(waiting) >= MAX_WAITING:
        reason = f"order {order_id} never arrived and {MAX_WAITING} of its events already wait"
        return Resolution(dropped=reason)
    waiting.append(encode(event).decode())
    known["waiting"] = waiting
    reason = f"waiting for order {order_id}: its {event.type} came before the order itself"
    return Resolution(state=known, waiting=reason)


def _complete(event: CloudEvent, known: OrderState) -> CloudEvent:
    data = event.data  # type: ignore[attr-defined]
    customer_id = known["customer_id"]
    update = {"customer_id": customer_id, "order_number": known["order_number"]}
    parcel = known.get("tracking", {}).get(getattr(data, "fulfillment_id", None), {})
    update |= {k: v for k, v in parcel.items() if getattr(data, k) is None}
    filled = data.model_copy(update=update)
    return event.model_copy(update={"data": filled, "partitionkey": customer_id})
