"""Where an event read by the customers agent goes before anything is decided: pure.

An order event that does not name its customer or its number cannot be decided on yet: it goes
to the orders topic as it came, keyed by its order, and the orders agent completes it
(streams/orders.py). An order placed is decided on, and also told to the orders agent (an index
record: whose order it is) and to the products agent (one purchase record per SKU,
streams/together.py). Every other event is decided on at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.events import CloudEvent, OrderPlaced
from schemas.topics import Topics
from streams.envelope import order_of
from streams.orders import index_record, is_complete
from streams.together import purchase_records

Record = tuple[str, bytes, bytes]  # topic, key, value


@dataclass(frozen=True)
class Route:
    """The records to queue first, in this order, and whether to decide on the event now."""

    records: tuple[Record, ...] = ()
    decide: bool = True


def route(event: CloudEvent, raw: bytes, topics: Topics) -> Route:
    """Where the event goes; `raw` is the event as it came, passed on unchanged if it waits."""
    order = order_of(event)
    if order is None:
        return Route()
    key = order.order_id.encode()
    if not is_complete(event):
        return Route(((topics.orders, key, raw),), decide=False)
    if isinstance(order, OrderPlaced):
        index = (topics.orders, key, index_record(event))
        return Route((index, *purchases(topics.purchases, order)))
    return Route()


def purchases(topic: str, order: OrderPlaced) -> list[Record]:
    """One purchase record per distinct SKU of the order, keyed by its SKU."""
    return [(topic, sku.encode(), record) for sku, record in purchase_records(order)]
