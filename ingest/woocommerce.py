"""WooCommerce order webhooks (order.created, order.updated) as canonical events.

WooCommerce sends the whole order on every change, not what changed. The order's status says
where it stands; each status maps to the events it implies, and each event's id is derived from
(store, order, what happened), so a status the order already had maps to the same event id and
the gateway's de-duplication drops it: only a transition produces news. Refunds are read from
the order's refunds list, one event per refund. A marketing opt-in stored on the order (order
meta `marketing_opt_in`) comes with the placed order as the customer's consent.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from ingest.mapping import (
    Fields,
    Mapped,
    MappingError,
    build,
    guest_id,
    ignored,
    parse_time,
    to_amount,
)
from schemas.events import CloudEvent

ORDER_TOPICS = ("order.created", "order.updated")
# Statuses in which a new order counts as placed (pending: not yet paid; on-hold: awaiting
# payment by bank transfer or cheque). An update into on-hold or processing also counts: an
# order created as pending is placed once it gets there.
PLACED_ON_CREATE = {"pending", "on-hold", "processing", "completed"}
PLACED_ON_UPDATE = {"on-hold", "processing"}
OPT_IN_KEYS = ("marketing_opt_in", "_marketing_opt_in")
YES, NO = {"yes", "1", "true", "on"}, {"no", "0", "false", "off"}
COUNTRY = re.compile(r"[A-Za-z]{2}")  # anything else is left out, not refused


def store_key(source: str) -> str:
    """The key a store's secrets are configured under: its URL without the trailing slash."""
    return source.strip().rstrip("/").lower()


class Webhook:
    """One authentic WooCommerce delivery."""

    def __init__(self, store_url: str, topic: str, payload: Any, delivery_id: str, at: datetime):
        self.store = urlsplit(store_key(store_url)).netloc or store_key(store_url)
        self.source = store_key(store_url)
        self.topic = topic
        self.body = Fields(payload)
        self.delivery_id = delivery_id
        self.at = at

    def ident(self, kind: str, value: str) -> str:
        """A store-namespaced id: shop.example/orders/727."""
        return f"{self.store}/{kind}/{value}"

    def event(self, type_name: str, data: dict[str, Any], key: str) -> CloudEvent:
        """A canonical event of this store; `key` names the fact, for a deterministic id."""
        time = parse_time(self.body.optional_text("date_modified_gmt")) or self.at
        return build(type_name, data, source=self.source, key=key, time=time)


def map_webhook(hook: Webhook) -> Mapped:
    """Map one WooCommerce webhook; topics other than orders are ignored."""
    if hook.topic not in ORDER_TOPICS:
        return ignored(f"topic {hook.topic!r} carries no customer news")
    order = hook.body
    status = order.text("status")
    oid = order.ident("id")
    ref = {
        "order_id": hook.ident("orders", oid),
        "order_number": f"#{order.optional_text('number') or oid}",
        "customer_id": _customer_id(hook, order),
    }
    events: list[CloudEvent] = []
    placed = PLACED_ON_CREATE if hook.topic == "order.created" else PLACED_ON_UPDATE
    if status in placed:
        events.append(_placed(hook, order, ref))
        consent = _opt_in(order)
        if consent is not None:
            data = {"customer_id": ref["customer_id"], "accepts_marketing": consent}
            key = f"orders/{ref['order_id']}/opt-in/{consent}"
            events.append(hook.event("customer.upserted", data, key))
    for news in STATUS_EVENTS.get(status, ()):
        events.append(news(hook, order, ref))
    events += _refunds(hook, order, ref, status)
    if not events:
        return ignored(f"order status {status} carries no customer news")
    return Mapped(events)


def _opt_in(order: Fields) -> bool | None:
    """The buyer's marketing opt-in at checkout: WooCommerce has no field of its own, so a
    checkout-field plugin stores it as order meta `marketing_opt_in` (or `_marketing_opt_in`),
    "yes"/"no" (also 1/0, true/false). None when the order does not say."""
    for meta in order.objects("meta_data"):
        if meta.optional_text("key") in OPT_IN_KEYS:
            value = meta.value.get("value")
            said = str(value).strip().lower() if value is not None else ""
            if said in YES:
                return True
            if said in NO:
                return False
    return None


def _customer_id(hook: Webhook, order: Fields) -> str:
    customer = order.optional_text("customer_id")
    if customer and customer != "0":
        return hook.ident("customers", customer)
    billing = order.obj("billing")
    email = billing.optional_text("email") if billing else None
    if email:
        return guest_id(hook.store, email)
    return hook.ident("orders", order.ident("id")) + "/buyer"


def _placed(hook: Webhook, order: Fields, ref: dict[str, Any]) -> CloudEvent:
    billing = order.obj("billing") or Fields({}, "billing")
    shipping = order.obj("shipping")
    items = []
    for line in order.objects("line_items"):
        quantity = line.number("quantity")
        if quantity < 1:
            continue
        name = html.unescape(line.optional_text("name") or "item")  # WooCommerce sends HTML
        items.append(
            {
                "sku": line.optional_text("sku") or f"product-{line.ident('product_id')}",
                "name": name,
                "quantity": quantity,
                "unit_price": line.amount("price"),
            }
        )
    if not items:
        raise MappingError("line_items", "an order needs at least one line with a quantity")
    country = shipping.optional_text("country") if shipping else None
    data = {
        **ref,
        "customer": {
            "email": billing.optional_text("email"),
            "phone": billing.optional_text("phone"),
            "first_name": billing.optional_text("first_name"),
            "last_name": billing.optional_text("last_name"),
        },
        "currency": order.text("currency"),
        "total": order.amount("total"),
        "items": items,
        "shipping_address": {
            "city": shipping.optional_text("city"),
            "country_code": country.upper() if country and COUNTRY.fullmatch(country) else None,
            "zip": shipping.optional_text("postcode"),
        }
        if shipping
        else None,
    }
    return hook.event("order.placed", data, f"orders/{ref['order_id']}/placed")


def _paid(hook: Webhook, order: Fields, ref: dict[str, Any]) -> CloudEvent:
    data = {**ref, "currency": order.text("currency"), "amount": order.amount("total")}
    return hook.event("order.paid", data, f"orders/{ref['order_id']}/paid")


def _completed(hook: Webhook, order: Fields, ref: dict[str, Any]) -> CloudEvent:
    data = {**ref, "fulfillment_id": ref["order_id"] + "/fulfillment"}
    return hook.event("fulfillment.shipped", data, f"orders/{ref['order_id']}/completed")


def _cancelled(reason: str | None) -> Callable[[Webhook, Fields, dict[str, Any]], CloudEvent]:
    def news(hook: Webhook, order: Fields, ref: dict[str, Any]) -> CloudEvent:
        data = {**ref, "reason": reason}
        return hook.event("order.cancelled", data, f"orders/{ref['order_id']}/cancelled")

    return news


def _refunds(hook: Webhook, order: Fields, ref: dict[str, Any], status: str) -> list[CloudEvent]:
    currency = order.optional_text("currency")
    events = []
    for refund in order.objects("refunds"):
        amount = abs(Decimal(refund.amount("total")))
        if amount == 0:
            continue
        data = {
            **ref,
            "currency": currency or order.text("currency"),
            "amount": format(amount, "f"),
            "reason": refund.optional_text("reason"),
        }
        key = f"orders/{ref['order_id']}/refunds/{refund.ident('id')}"
        events.append(hook.event("order.refunded", data, key))
    if status == "refunded" and not events:
        total = to_amount(order.value.get("total"), "total")
        data = {**ref, "currency": order.text("currency"), "amount": total.lstrip("-")}
        events.append(hook.event("order.refunded", data, f"orders/{ref['order_id']}/refunded"))
    return events


STATUS_EVENTS: dict[str, tuple[Callable[[Webhook, Fields, dict[str, Any]], CloudEvent], ...]] = {
    "processing": (_paid,),
    "completed": (_completed,),
    "cancelled": (_cancelled(None),),
    "failed": (_cancelled("The payment failed"),),
}
