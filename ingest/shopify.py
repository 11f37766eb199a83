"""Shopify webhooks (topic in X-Shopify-Topic) as canonical order-lifecycle events.

Ids are namespaced by shop domain (`shop.myshopify.com/orders/820982911946154508`) and event
ids are derived from what happened (the order was paid, fulfillment 123 was delivered), so a
redelivered or repeated webhook maps to the same event id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from ingest.mapping import Fields, Mapped, MappingError, build, day, guest_id, ignored, parse_time
from schemas.events import CloudEvent

# Shopify's shipment statuses (fulfillments/update, fulfillment_events/create) by their news.
SHIPMENT_EVENTS = {
    "in_transit": "fulfillment.shipped",
    "carrier_picked_up": "fulfillment.shipped",
    "picked_up": "fulfillment.shipped",
    "out_for_delivery": "fulfillment.out_for_delivery",
    "delivered": "fulfillment.delivered",
    "attempted_delivery": "fulfillment.delayed",
    "delayed": "fulfillment.delayed",
    "failure": "fulfillment.delayed",
}
DELAY_REASONS = {
    "attempted_delivery": "The carrier tried to deliver and will try again",
    "failure": "The carrier could not deliver the parcel",
}
QUIET_STATUSES = {"confirmed", "label_printed", "label_purchased", "ready_for_pickup"}


class Webhook:
    """One authentic Shopify delivery: who sent it, about what, and its parsed body;
    `webhook_id` is what identifies the delivery (the gateway gives a digest of the signed body)."""

    def __init__(self, shop: str, topic: str, payload: Any, webhook_id: str, at: datetime) -> None:
        self.shop = shop.strip().lower()
        self.topic = topic
        self.body = Fields(payload)
        self.webhook_id = webhook_id
        self.at = at
        self.source = f"https://{self.shop}"

    def ident(self, kind: str, value: str) -> str:
        """A shop-namespaced id: shop.myshopify.com/orders/123."""
        return f"{self.shop}/{kind}/{value}"

    def event(self, type_name: str, data: dict[str, Any], key: str) -> CloudEvent:
        """A canonical event of this shop; `key` names the fact, for a deterministic id."""
        changed = self.body.optional_text("updated_at") or self.body.optional_text("created_at")
        time = parse_time(changed) or self.at
        return build(type_name, data, source=self.source, key=key, time=time)


def map_webhook(hook: Webhook) -> Mapped:
    """Map one Shopify webhook; unknown topics are ignored, never an error."""
    mapper = MAPPERS.get(hook.topic)
    if mapper is None:
        return ignored(f"topic {hook.topic!r} carries no customer news")
    return mapper(hook)


def _order_ref(hook: Webhook, order: Fields) -> dict[str, Any]:
    return {
        "order_id": hook.ident("orders", order.ident("id")),
        "order_number": order.optional_text("name") or f"#{order.ident('order_number')}",
        "customer_id": _customer_id(hook, order),
    }


def _customer_id(hook: Webhook, order: Fields) -> str:
    customer = order.obj("customer")
    if customer is not None and customer.has("id"):
        return hook.ident("customers", customer.ident("id"))
    email = order.optional_text("email") or order.optional_text("contact_email")
    if email:
        return guest_id(hook.shop, email)
    return hook.ident("orders", order.ident("id")) + "/buyer"


def _contact(order: Fields) -> dict[str, Any]:
    customer = order.obj("customer") or Fields({}, order.where("customer"))
    billing = order.obj("billing_address") or Fields({}, order.where("billing_address"))
    email = order.optional_text("email") or order.optional_text("contact_email")
    return {
        "email": email or customer.optional_text("email"),
        "phone": order.optional_text("phone") or customer.optional_text("phone"),
        "first_name": customer.optional_text("first_name") or billing.optional_text("first_name"),
        "last_name": customer.optional_text("last_name") or billing.optional_text("last_name"),
        "language": _language(order.optional_text("customer_locale")),
    }


def _language(locale: str | None) -> str | None:
    if not locale:
        return None
    primary, _, region = locale.replace("_", "-").partition("-")
    if not re.fullmatch(r"[A-Za-z]{2,3}", primary):
        return None
    return primary.lower() + (f"-{region}" if re.fullmatch(r"[A-Za-z0-9]{2,8}", region) else "")


def _items(owner: Fields) -> list[dict[str, Any]]:
    items = []
    for line in owner.objects("line_items"):
        quantity = line.number("quantity")
        if quantity < 1:
            continue  # removed from the order
        sku = line.optional_text("sku") or f"product-{line.optional_text('product_id') or 'none'}"
        items.append(
            {
                "sku": sku,
                "name": line.optional_text("title") or line.optional_text("name") or sku,
                "quantity": quantity,
                "unit_price": line.amount("price"),
            }
        )
    return items


def _address(address: Fields | None) -> dict[str, Any] | None:
    if address is None:
        return None
    country = address.optional_text("country_code")
    return {
        "city": address.optional_text("city"),
        "country_code": country.upper()
        if country and re.fullmatch(r"[A-Za-z]{2}", country)
        else None,
        "zip": address.optional_text("zip"),
    }


def _orders_create(hook: Webhook) -> Mapped:
    order = hook.body
    items = _items(order)
    if not items:
        raise MappingError("line_items", "an order needs at least one line with a quantity")
    data = {
        **_order_ref(hook, order),
        "customer": _contact(order),
        "currency": order.text("currency"),
        "total": order.amount("total_price"),
        "items": items,
        "shipping_address": _address(order.obj("shipping_address")),
    }
    return Mapped([hook.event("order.placed", data, f"orders/{order.ident('id')}/placed")])


def _orders_paid(hook: Webhook) -> Mapped:
    order = hook.body
    data = {
        **_order_ref(hook, order),
        "currency": order.text("currency"),
        "amount": order.amount("total_price"),
    }
    return Mapped([hook.event("order.paid", data, f"orders/{order.ident('id')}/paid")])


def _orders_cancelled(hook: Webhook) -> Mapped:
    order = hook.body
    data = {**_order_ref(hook, order), "reason": order.optional_text("cancel_reason")}
    return Mapped([hook.event("order.cancelled", data, f"orders/{order.ident('id')}/cancelled")])


def _refunds_create(hook: Webhook) -> Mapped:
    refund = hook.body
    total, currency = Decimal(0), None
    for tx in refund.objects("transactions"):
        if tx.optional_text("kind") == "refund" and tx.optional_text("status") == "success":
            total += Decimal(tx.amount("amount"))
            currency = currency or tx.optional_text("currency")
    if total <= 0:
        return ignored("refund moved no money (no successful refund transaction)")
    data = {
        "order_id": hook.ident("orders", refund.ident("order_id")),
        "currency": currency or _refund_currency(refund),
        "amount": format(total, "f"),
        "reason": refund.optional_text("note"),
    }
    return Mapped([hook.event("order.refunded", data, f"refunds/{refund.ident('id')}")])


def _refund_currency(refund: Fields) -> str:
    for name in ("total_duties_set",):
        money = refund.obj(name)
        shop_money = money.obj("shop_money") if money else None
        if shop_money and shop_money.optional_text("currency_code"):
            return shop_money.text("currency_code")
    for line in refund.objects("refund_line_items"):
        money = line.obj("subtotal_set")
        shop_money = money.obj("shop_money") if money else None
        if shop_money and shop_money.optional_text("currency_code"):
            return shop_money.text("currency_code")
    raise MappingError("transactions[].currency", "the refund names no currency")


def _shipment(hook: Webhook, fulfillment_id: str, order_id: str) -> dict[str, Any]:
    return {
        "order_id": hook.ident("orders", order_id),
        "fulfillment_id": hook.ident("fulfillments", fulfillment_id),
    }


def _fulfillment(hook: Webhook) -> Mapped:
    """fulfillments/create is the parcel leaving; later statuses say where it is."""
    body = hook.body
    status = body.optional_text("status")
    if status in {"cancelled", "error", "failure"}:
        return ignored(f"fulfillment status {status}: nothing shipped")
    fid = body.ident("id")
    data = {
        **_shipment(hook, fid, body.ident("order_id")),
        "order_number": _order_number(body.optional_text("name")),
        "carrier": body.optional_text("tracking_company"),
        "tracking_number": body.optional_text("tracking_number"),
        "tracking_url": body.optional_text("tracking_url"),
    }
    shipment_status = body.optional_text("shipment_status")
    events = []
    news = SHIPMENT_EVENTS.get(shipment_status or "")
    if hook.topic == "fulfillments/create" or news == "fulfillment.shipped":
        # The key _status_event gives an in_transit event: one parcel leaves once.
        key = f"fulfillments/{fid}/fulfillment.shipped"
        events.append(hook.event("fulfillment.shipped", data, key))
    if news and news != "fulfillment.shipped":
        stamp = body.optional_text("updated_at") or hook.webhook_id
        events.append(_status_event(hook, news, shipment_status or "", data, fid, {}, stamp))
    if not events:
        return ignored(f"shipment status {shipment_status or 'none'} carries no customer news")
    return Mapped(events)


def _fulfillment_event(hook: Webhook) -> Mapped:
    body = hook.body
    status = body.text("status")
    news = SHIPMENT_EVENTS.get(status)
    if news is None:
        what = "carries no customer news" if status in QUIET_STATUSES else "is unknown"
        return ignored(f"shipment status {status} {what}")
    fid = body.ident("fulfillment_id")
    data = _shipment(hook, fid, body.ident("order_id"))
    details = {
        "happened_at": body.optional_text("happened_at"),
        "estimated": day(body.optional_text("estimated_delivery_at")),
        "message": body.optional_text("message"),
    }
    stamp = f"event-{body.ident('id')}"
    return Mapped([_status_event(hook, news, status, data, fid, details, stamp)])


def _status_event(
    hook: Webhook,
    news: str,
    status: str,
    data: dict[str, Any],
    fid: str,
    details: dict[str, Any],
    stamp: str,
) -> CloudEvent:
    """One shipment status as its event; every delay report is news, other statuses once."""
    data = dict(data)
    if news == "fulfillment.shipped":
        data["estimated_delivery"] = details.get("estimated")
    elif news == "fulfillment.delivered":
        data["delivered_at"] = (parse_time(details.get("happened_at")) or hook.at).isoformat()
    elif news == "fulfillment.delayed":
        data["reason"] = DELAY_REASONS.get(status) or details.get("message")
        data["new_estimated_delivery"] = details.get("estimated")
        return hook.event(news, data, f"fulfillments/{fid}/{status}/{stamp}")
    return hook.event(news, data, f"fulfillments/{fid}/{news}")


def _order_number(fulfillment_name: str | None) -> str | None:
    """A fulfillment is named after its order: #1001.1 is the first parcel of #1001."""
    if not fulfillment_name:
        return None
    return fulfillment_name.rsplit(".", 1)[0] if "." in fulfillment_name else fulfillment_name


def _checkout(hook: Webhook) -> Mapped:
    checkout = hook.body
    token = checkout.ident("token")
    customer = checkout.obj("customer")
    email = checkout.optional_text("email") or (
        customer.optional_text("email") if customer else None
    )
    phone = checkout.optional_text("phone") or checkout.optional_text("sms_marketing_phone")
    if customer is not None and customer.has("id"):
        customer_id = hook.ident("customers", customer.ident("id"))
    elif email:
        customer_id = guest_id(hook.shop, email)
    else:
        return ignored("checkout without a customer, email or phone: nobody to remind")
    contact = _contact(checkout) | {"email": email, "phone": phone}
    data = {
        "customer_id": customer_id,
        "checkout_id": hook.ident("checkouts", token),
        "customer": contact,
        "currency": checkout.text("currency"),
        "total": checkout.amount("total_price"),
        "items": _items(checkout),
        "recovery_url": checkout.optional_text("abandoned_checkout_url"),
        "completed": checkout.has("completed_at"),
    }
    stamp = checkout.optional_text("updated_at") or hook.webhook_id
    return Mapped([hook.event("checkout.updated", data, f"checkouts/{token}/{stamp}")])


def _consent(consent: Fields | None) -> bool | None:
    if consent is None or not consent.has("state"):
        return None
    return consent.text("state") == "subscribed"


def _customer(hook: Webhook) -> Mapped:
    customer = hook.body
    cid = customer.ident("customer_id" if customer.has("customer_id") else "id")
    address = customer.obj("default_address")
    country = _address(address)
    data = {
        "customer_id": hook.ident("customers", cid),
        "email": customer.optional_text("email") or customer.optional_text("email_address"),
        "phone": customer.optional_text("phone"),
        "first_name": customer.optional_text("first_name"),
        "last_name": customer.optional_text("last_name"),
        "language": _language(customer.optional_text("locale")),
        "country_code": country["country_code"] if country else None,
        "accepts_marketing": _consent(customer.obj("email_marketing_consent"))
        if customer.has("email_marketing_consent")
        else customer.flag("accepts_marketing"),
        "accepts_sms_marketing": _consent(customer.obj("sms_marketing_consent")),
    }
    stamp = customer.optional_text("updated_at") or hook.webhook_id
    return Mapped([hook.event("customer.upserted", data, f"customers/{cid}/{hook.topic}/{stamp}")])


MAPPERS: dict[str, Callable[[Webhook], Mapped]] = {
    "orders/create": _orders_create,
    "orders/paid": _orders_paid,
    "orders/cancelled": _orders_cancelled,
    "refunds/create": _refunds_create,
    "fulfillments/create": _fulfillment,
    "fulfillments/update": _fulfillment,
    "fulfillment_events/create": _fulfillment_event,
    "checkouts/create": _checkout,
    "checkouts/update": _checkout,
    "customers/create": _customer,
    "customers/update": _customer,
    "customers_email_marketing_consent/update": _customer,
    "customers_marketing_consent/update": _customer,
}
