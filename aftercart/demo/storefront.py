"""A sample Shopify shop and WooCommerce store that talk to aftercart as the real ones do.

Their webhooks carry the fields the platforms document (shaped like tests/fixtures), are signed
with the store's secret, and go to the gateway over HTTP: what `make demo` and the pipeline
tests send.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ingest.signatures import sign

SHOP_DOMAIN = "aftercart-demo.myshopify.com"
WOO_STORE = "https://woo.shop.example/"


@dataclass(frozen=True)
class Webhook:
    """One delivery as a platform sends it."""

    platform: str
    topic: str
    payload: dict[str, Any]

    def body(self) -> bytes:
        """The exact bytes that are signed and sent."""
        return json.dumps(self.payload).encode()


@dataclass(frozen=True)
class Buyer:
    """Who orders in the sample stores."""

    customer_id: int
    first_name: str
    last_name: str
    email: str
    locale: str


SHOPIFY_BUYER = Buyer(7_390_412_226_789, "Sofia", "Laine", "sofia.laine@example.fi", "fi")
WOO_BUYER = Buyer(0, "Ioana", "Ionescu", "ioana@example.ro", "ro")


def shopify_story(order_id: int = 5_820_987_211_001, at: datetime | None = None) -> list[Webhook]:
    """One Shopify order from checkout to a partial refund, in the order Shopify sends it;
    placed four days before `at` (default: now), refunded the day before."""
    at = (at or datetime.now(UTC)) - timedelta(days=4)
    order = _shopify_order(order_id, at)
    return [
        Webhook("shopify", "orders/create", order),
        Webhook("shopify", "orders/paid", order | {"financial_status": "paid"}),
        Webhook("shopify", "fulfillments/create", _shopify_fulfillment(order_id, at)),
        Webhook(
            "shopify",
            "fulfillment_events/create",
            _shipment_event(order_id, 71, "out_for_delivery", at + timedelta(hours=44)),
        ),
        Webhook(
            "shopify",
            "fulfillment_events/create",
            _shipment_event(order_id, 72, "delivered", at + timedelta(hours=47)),
        ),
        Webhook("shopify", "refunds/create", _shopify_refund(order_id, at + timedelta(days=3))),
    ]


def _shopify_order(order_id: int, at: datetime) -> dict[str, Any]:
    b = SHOPIFY_BUYER
    return {
        "id": order_id,
        "name": "#2001",
        "order_number": 2001,
        "email": b.email,
        "phone": None,
        "currency": "EUR",
        "total_price": "64.80",
        "customer_locale": b.locale,
        "created_at": at.isoformat(),
        "updated_at": at.isoformat(),
        "customer": {
            "id": b.customer_id,
            "email": b.email,
            "first_name": b.first_name,
            "last_name": b.last_name,
        },
        "line_items": [
            {"id": 1, "title": "Linen apron", "sku": "APRON-LIN", "quantity": 1, "price": "39.90"},
            {"id": 2, "title": "Rye bread tin", "sku": "TIN-RYE", "quantity": 1, "price": "24.90"},
        ],
        "shipping_address": {"city": "Tampere", "zip": "33100", "country_code": "FI"},
    }


def _shopify_fulfillment(order_id: int, at: datetime) -> dict[str, Any]:
    return {
        "id": order_id + 1,
        "order_id": order_id,
        "name": "#2001.1",
        "status": "success",
        "shipment_status": None,
        "email": SHOPIFY_BUYER.email,
        "tracking_company": "Posti",
        "tracking_number": "JJFI6512345678",
        "tracking_url": "https://www.posti.fi/en/tracking#/lahetys/JJFI6512345678",
        "updated_at": (at + timedelta(hours=20)).isoformat(),
    }


def _shipment_event(order_id: int, event_id: int, status: str, at: datetime) -> dict[str, Any]:
    recorded = (at + timedelta(minutes=1)).isoformat()
    return {
        "id": event_id,
        "fulfillment_id": order_id + 1,
        "order_id": order_id,
        "status": status,
        "happened_at": at.isoformat(),
        "created_at": recorded,
        "updated_at": recorded,
        "estimated_delivery_at": None,
        "message": None,
    }


def _shopify_refund(order_id: int, at: datetime) -> dict[str, Any]:
    return {
        "id": order_id + 9,
        "order_id": order_id,
        "note": "Bread tin arrived dented",
        "created_at": at.isoformat(),
        "transactions": [
            {"id": 1, "kind": "refund", "status": "success", "amount": "24.90", "currency": "EUR"}
        ],
    }


def woocommerce_story(order_id: int = 4_242) -> list[Webhook]:
    """One WooCommerce order: created as processing (paid) a minute ago, then completed
    (shipped) now. (The gateway takes no order last changed outside its de-duplication
    window: a replay of an old delivery.)"""
    b = WOO_BUYER
    now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    order = {
        "id": order_id,
        "number": str(order_id),
        "status": "processing",
        "currency": "RON",
        "total": "149.00",
        "customer_id": b.customer_id,
        "date_modified_gmt": (now - timedelta(minutes=1)).isoformat(),
        "billing": {
            "first_name": b.first_name,
            "last_name": b.last_name,
            "email": b.email,
            "phone": "",
            "country": "RO",
        },
        "shipping": {
            "first_name": b.first_name,
            "last_name": b.last_name,
            "city": "Cluj-Napoca",
            "postcode": "400001",
            "country": "RO",
        },
        "line_items": [
            {
                "id": 1,
                "name": "Ceramic teapot &ndash; blue",
                "product_id": 31,
                "sku": "POT-BLUE",
                "quantity": 1,
                "price": 149,
            },
        ],
        "refunds": [],
    }
    completed = order | {"status": "completed", "date_modified_gmt": now.isoformat()}
    return [
        Webhook("woocommerce", "order.created", order),
        Webhook("woocommerce", "order.updated", completed),
    ]


def headers_for(hook: Webhook, body: bytes, secret: str) -> dict[str, str]:
    """The headers the platform sends with this delivery, signature included."""
    if hook.platform == "shopify":
        return {
            "Content-Type": "application/json",
            "X-Shopify-Topic": hook.topic,
            "X-Shopify-Hmac-Sha256": sign(body, secret),
            "X-Shopify-Shop-Domain": SHOP_DOMAIN,
            "X-Shopify-Webhook-Id": str(uuid.uuid5(uuid.NAMESPACE_URL, hook.topic + body.hex())),
            "X-Shopify-API-Version": "2026-07",
        }
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": WOO_STORE,
        "X-WC-Webhook-Topic": hook.topic,
        "X-WC-Webhook-Resource": hook.topic.split(".")[0],
        "X-WC-Webhook-Event": hook.topic.split(".")[1],
        "X-WC-Webhook-Signature": sign(body, secret),
        "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
    }


def deliver(gateway_url: str, hook: Webhook, secret: str) -> tuple[int, dict[str, Any]]:
    """POST one signed webhook to the gateway; its status and JSON answer."""
    body = hook.body()
    request = urllib.request.Request(
        f"{gateway_url}/webhooks/{hook.platform}",
        data=body,
        method="POST",
        headers=headers_for(hook, body, secret),
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
