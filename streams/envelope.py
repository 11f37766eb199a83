"""What an event carries, typed: the envelope's data model, and an order event's order fields."""

from __future__ import annotations

from schemas.common import Contract
from schemas.events import CloudEvent, OrderRef


def data_of(event: CloudEvent) -> Contract:
    """The event's data model: each event type's envelope declares one (schemas/events.py)."""
    data = getattr(event, "data", None)
    if not isinstance(data, Contract):
        raise TypeError(f"{event.type} event {event.id} has no data model")
    return data


def order_of(event: CloudEvent) -> OrderRef | None:
    """The order fields of an order or fulfillment event; None for any other event."""
    data = data_of(event)
    return data if isinstance(data, OrderRef) else None
