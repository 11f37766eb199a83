"""`aftercart render`: one message rendered from sample data, as the customer would get it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from channels.overlay import languages
from channels.render import Renderer
from channels.sms_segments import cost
from schemas.common import PushKeys, PushSubscription
from schemas.notification import NotificationRequest, Recipient

CHANNELS = ("email", "sms", "push")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_ORDER = {"customer_id": "cust-aino", "order_id": "ord-1", "order_number": "#1001"}
_ITEMS = [
    {"sku": "MUG-01", "name": "Moomin mug", "quantity": 2, "unit_price": "19.90"},
    {"sku": "TEA-07", "name": "Sencha tea 100 g", "quantity": 1, "unit_price": "12.50"},
]
_PARCEL = {
    **_ORDER,
    "fulfillment_id": "ful-1",
    "carrier": "Posti",
    "tracking_number": "JJFI0000000001",
    "tracking_url": "https://tracking.example/JJFI0000000001",
}
SAMPLES: dict[str, dict[str, Any]] = {
    "order.placed": {**_ORDER, "currency": "EUR", "total": "52.30", "items": _ITEMS},
    "order.paid": {**_ORDER, "currency": "EUR", "amount": "52.30"},
    "order.cancelled": {**_ORDER, "reason": "customer request"},
    "order.refunded": {**_ORDER, "currency": "EUR", "amount": "52.30"},
    "fulfillment.shipped": {**_PARCEL, "estimated_delivery": "2026-11-27"},
    "fulfillment.out_for_delivery": _PARCEL,
    "fulfillment.delivered": {**_PARCEL, "delivered_at": "2026-11-27T14:03:00Z"},
    "fulfillment.delayed": {**_PARCEL, "reason": "weather", "new_estimated_delivery": "2026-11-30"},
    "checkout.reminder": {
        "customer_id": "cust-aino",
        "checkout_id": "chk-1",
        "currency": "EUR",
        "total": "39.80",
        "items": _ITEMS[:1],
        "recovery_url": "https://shop.example/checkout/chk-1",
    },
    "review.request": {**_PARCEL, "delivered_at": "2026-11-27T14:03:00Z"},
}
# A first-time buyer: the points, offer and suggestions a real message carries when it has them.
_CUSTOMER = {
    "first_name": "Aino",
    "last_name": "Virtanen",
    "order_count": 1,
    "first_time_buyer": True,
}
_LOYALTY = {"loyalty_points": 52, "loyalty_tier": "bronze"}
_OFFER = {"code": "THANKS10", "percent": 10}
_ALSO_BOUGHT = [
    {"sku": "PLATE-03", "name": "Moomin plate"},
    {"sku": "TOWEL-11", "name": "Linen tea towel"},
]
EXTRAS: dict[str, dict[str, Any]] = {
    "order.placed": {
        "offer": _OFFER,
        "recommendations": _ALSO_BOUGHT,
    },
    "fulfillment.delivered": {"offer": _OFFER, "recommendations": _ALSO_BOUGHT},
    "checkout.reminder": {"reminder": 1},
    "review.request": {
        "order": {
            "number": "#1001",
            "items": [{"sku": i["sku"], "name": i["name"]} for i in _ITEMS],
        },
        "review_url": "https://shop.example/orders/ord-1/review",
        "recommendations": _ALSO_BOUGHT,
    },
}


class PreviewError(ValueError):
    """The event type, channel or language cannot be previewed; the message says what can."""


def sample_request(
    event_type: str,
    channel: str,
    language: str,
    *,
    loyalty: bool = True,
    known: list[str] | None = None,
) -> NotificationRequest:
    """A request for the sample customer, as the stream processor would build it: with
    loyalty points and tier when the shop runs a loyalty programme.

    event_type names the template: an event type, or a scheduled message (checkout.reminder,
    review.request); known: the languages with templates (the packaged ones by default)."""
    if event_type not in SAMPLES:
        raise PreviewError(f"unknown event type {event_type!r}; choose from {', '.join(SAMPLES)}")
    if channel not in CHANNELS:
        raise PreviewError(f"unknown channel {channel!r}; choose from {', '.join(CHANNELS)}")
    known = known or languages()
    if not _LANGUAGE.match(language) or language.split("-")[0] not in known:
        raise PreviewError(
            f"no templates for language {language!r}; choose from {', '.join(known)} "
            "(customers with any other language get English)"
        )
    when = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    push = PushSubscription(
        endpoint="https://fcm.googleapis.com/fcm/send/preview",
        keys=PushKeys(p256dh="preview", auth="preview"),
    )
    return NotificationRequest(
        notification_id=f"preview-{event_type}-{channel}",
        channel=channel,  # type: ignore[arg-type]
        template=event_type,
        language=language,
        customer_id="cust-aino",
        event_id="preview",
        event_type=event_type,
        event_time=when,
        recipient=Recipient(email="aino@example.fi", phone="+358401234567", push=push),
        data={
            "customer": _customer(event_type, loyalty),
            "event": SAMPLES[event_type],
            **EXTRAS.get(event_type, {}),
        },
        created_at=when,
    )


def _customer(event_type: str, loyalty: bool) -> dict[str, Any]:
    if not loyalty:
        return _CUSTOMER
    earned = {"points_earned": 52} if event_type == "order.placed" else {}
    return {**_CUSTOMER, **_LOYALTY, **earned}


def preview(
    event_type: str,
    channel: str,
    language: str,
    *,
    html: bool = False,
    renderer: Renderer | None = None,
    loyalty: bool = True,
    overlay: Path | None = None,
) -> str:
    """The message as text for a terminal: email subject and body, SMS cost, push size.

    renderer: the workers' (the shop's brand and templates); loyalty: whether the shop runs
    a loyalty programme; overlay: the shop's template folder, for its languages."""
    req = sample_request(event_type, channel, language, loyalty=loyalty, known=languages(overlay))
    renderer = renderer or Renderer(overlay=overlay)
    if channel == "email":
        email = renderer.email(req)
        if html:
            return email.html
        return (
            f"Subject: {email.subject}\n\n{email.text}\n\n"
            f"(HTML part: {len(email.html.encode()):,} bytes; add --html to print it)"
        )
    if channel == "sms":
        body = renderer.sms(req).body
        sms = cost(body)
        plural = "s" if sms.segments > 1 else ""
        return f"{body}\n\n({sms.encoding}, {sms.units} units, {sms.segments} segment{plural})"
    message = renderer.push(req, ttl=3600)
    payload = json.loads(message.payload)
    return (
        f"Title: {payload['title']}\nBody:  {payload['body']}\nURL:   {payload['url']}\n\n"
        f"(payload {len(message.payload):,} of at most 3,993 bytes)"
    )
