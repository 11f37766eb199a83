"""Rendering: every event type on every channel, escaping, fallback and size limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from channels.errors import MissingContact, RenderError, UnknownTemplate
from channels.render import MAX_PUSH_PAYLOAD, TEMPLATES, TEXT_BLOCKS, Renderer
from channels.sms_segments import segments as sms_segments
from schemas.common import PushKeys, PushSubscription
from schemas.notification import NotificationRequest, Recipient

ORDER = {"customer_id": "c-1", "order_id": "o-77", "order_number": "#1001"}
SHIPMENT = {**ORDER, "fulfillment_id": "f-1"}
ITEMS = [
    {"sku": "MUG-1", "name": "Moomin mug", "quantity": 2, "unit_price": "24.90"},
    {"sku": "TEE-2", "name": "Linen tee", "quantity": 1, "unit_price": "39.00"},
]
TRACKING_URL = "https://www.dhl.com/fi-en/home/tracking.html?tracking-id=JD014600003828"
EVENTS: dict[str, dict[str, Any]] = {
    "order.placed": {**ORDER, "currency": "EUR", "total": "88.80", "items": ITEMS},
    "order.paid": {**ORDER, "currency": "EUR", "amount": "88.80"},
    "order.cancelled": {**ORDER, "reason": "Out of stock"},
    "order.refunded": {**ORDER, "currency": "SEK", "amount": "120.00", "reason": None},
    "fulfillment.shipped": {
        **SHIPMENT,
        "carrier": "DHL",
        "tracking_number": "JD014600003828",
        "tracking_url": TRACKING_URL,
        "estimated_delivery": "2025-11-25",
    },
    "fulfillment.out_for_delivery": {**SHIPMENT, "carrier": "Posti", "tracking_url": TRACKING_URL},
    "fulfillment.delivered": {**SHIPMENT, "delivered_at": "2025-11-26T14:03:00Z"},
    "fulfillment.delayed": {
        **SHIPMENT,
        "reason": "Storm in the Baltic",
        "new_estimated_delivery": "2025-11-28",
    },
    "checkout.reminder": {
        "customer_id": "c-1",
        "checkout_id": "chk-9",
        "currency": "USD",
        "total": "88.80",
        "items": ITEMS,
        "recovery_url": "https://shop.example/checkouts/chk-9/recover?key=abc",
    },
    "review.request": {
        **SHIPMENT,
        "carrier": "Posti",
        "tracking_url": TRACKING_URL,
        "delivered_at": "2025-11-26T14:03:00Z",
    },
}
# What the stream processor adds beside the event when it knows it (templates/README.md).
PERSONAL: dict[str, Any] = {
    "customer": {
        "loyalty_points": 1234,
        "loyalty_tier": "silver",
        "order_count": 1,
        "first_time_buyer": True,
        "points_earned": 88,
    },
    "offer": {"code": "THANKS10", "percent": 10},
    "recommendations": [
        {"sku": "PLATE-3", "name": "Moomin plate"},
        {"sku": "TOWEL-4", "name": "Linen tea towel"},
        {"sku": "CANDLE-5", "name": "Birch candle"},
    ],
    "order": {"number": "#1001", "items": [{"sku": i["sku"], "name": i["name"]} for i in ITEMS]},
    "review_url": "https://shop.example/products/moomin-mug/reviews/new?order=o-77",
    "unsubscribe_url": "https://shop.example/unsubscribe?token=t-1",
}
SUBSCRIPTION = PushSubscription(
    endpoint="https://fcm.googleapis.com/fcm/send/abc",
    keys=PushKeys(p256dh="BNc-key", auth="auth-secret"),
)


def request(
    template: str,
    *,
    first_name: str | None = "Aino",
    language: str = "en",
    event: dict[str, Any] | None = None,
    shop_name: str = "Moomin Shop",
    extra: dict[str, Any] | None = None,
) -> NotificationRequest:
    """A request as the stream processor builds it; `extra` adds to its data (a `customer`
    in it adds to the customer's fields)."""
    extra = dict(extra or {})
    customer = {"first_name": first_name, "last_name": "Virtanen", **extra.pop("customer", {})}
    return NotificationRequest(
        notification_id="n-" + template,
        channel="email",
        template=template,
        language=language,
        customer_id="c-1",
        event_id="e-1",
        event_type=template,
        event_time=datetime(2025, 11, 24, 9, 0, tzinfo=UTC),
        recipient=Recipient(email="aino@example.fi", phone="+358401234567", push=SUBSCRIPTION),
        data={
            "shop": {"name": shop_name, "url": "https://shop.example"},
            "customer": customer,
            "event": EVENTS[template] if event is None else event,
            **extra,
        },
        created_at=datetime(2025, 11, 24, 9, 0, 1, tzinfo=UTC),
    )


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def test_every_event_type_has_both_templates() -> None:
    names = {p.name for p in (TEMPLATES / "en").glob("*.j2") if not p.name.startswith("_")}
    expected = {f"{t}.{kind}.j2" for t in EVENTS for kind in ("txt", "html")}
    assert names == expected
    for template in EVENTS:
        source = (TEMPLATES / "en" / f"{template}.txt.j2").read_text()
        for block in TEXT_BLOCKS:
            assert f"{{% block {block} %}}" in source, (template, block)


@pytest.mark.parametrize("template", EVENTS)
def test_email_is_personal(renderer: Renderer, template: str) -> None:
    # when
    email = renderer.email(request(template))
    # then
    assert email.to == "aino@example.fi"
    assert email.to_name == "Aino Virtanen"
    assert email.subject and "\n" not in email.subject
    assert "Aino" in email.text and "Aino" in email.html
    assert "Moomin Shop" in email.text
    assert email.html.startswith("<!doctype html>")
    order_number = EVENTS[template].get("order_number")
    if order_number:
        assert order_number in email.subject


@pytest.mark.parametrize("template", EVENTS)
def test_sms_is_short_and_personal(renderer: Renderer, template: str) -> None:
    sms = renderer.sms(request(template))
    assert sms.to == "+358401234567"
    assert sms.body.startswith("Moomin Shop:")
    assert sms_segments(sms.body) <= 2, sms.body


@pytest.mark.parametrize("template", EVENTS)
def test_sms_stays_within_two_segments_with_long_data(renderer: Renderer, template: str) -> None:
    # given a long name, shop name and reason
    event = {**EVENTS[template]}
    if "reason" in event:
        event["reason"] = "A very long explanation of what went wrong " * 10
    req = request(
        template, first_name="Maximiliana-Josefina", shop_name="The " + "Long " * 20, event=event
    )
    # then
    assert sms_segments(renderer.sms(req).body) <= 2


@pytest.mark.parametrize("template", EVENTS)
def test_push_payload(renderer: Renderer, template: str) -> None:
    push = renderer.push(request(template), ttl=3600)
    payload = json.loads(push.payload)
    assert set(payload) == {"notification_id", "title", "body", "url", "tag"}
    assert payload["notification_id"] == "n-" + template
    assert payload["title"] and payload["body"]
    assert payload["tag"] == EVENTS[template].get("order_id", "chk-9")
    assert push.ttl == 3600


def test_shipped_links_the_tracking_page(renderer: Renderer) -> None:
    req = request("fulfillment.shipped")
    assert TRACKING_URL in renderer.email(req).text
    assert 'href="https://www.dhl.com/fi-en/home/tracking.html?tracking-id=JD0146' in (
        renderer.email(req).html
    )
    assert TRACKING_URL in renderer.sms(req).body
    assert json.loads(renderer.push(req, ttl=60).payload)["url"] == TRACKING_URL


def test_checkout_reminder_links_the_recovery_page(renderer: Renderer) -> None:
    req = request("checkout.reminder")
    url = EVENTS["checkout.reminder"]["recovery_url"]
    assert json.loads(renderer.push(req, ttl=60).payload)["url"] == url
    assert url in renderer.sms(req).body and url in renderer.email(req).text


def test_review_request_links_the_review_page_not_the_tracking_page(renderer: Renderer) -> None:
    # given a delivered parcel's data, which still carries its tracking link
    req = request("review.request", extra={"review_url": PERSONAL["review_url"]})
    # then every channel leads to the review page
    assert json.loads(renderer.push(req, ttl=60).payload)["url"] == PERSONAL["review_url"]
    assert PERSONAL["review_url"] in renderer.sms(req).body
    email = renderer.email(req)
    assert PERSONAL["review_url"] in email.text
    assert 'href="https://shop.example/products/moomin-mug/reviews/new?order=o-77"' in email.html
    assert TRACKING_URL not in email.text + email.html


def test_review_request_without_a_review_page_links_the_shop(renderer: Renderer) -> None:
    req = request("review.request")
    assert json.loads(renderer.push(req, ttl=60).payload)["url"] == "https://shop.example"
    assert renderer.sms(req).body.count("https://shop.example") == 1
    assert "Write one here: https://shop.example\n" in renderer.email(req).text


def test_amounts_carry_their_currency(renderer: Renderer) -> None:
    assert "€88.80" in renderer.email(request("order.placed")).text
    assert "SEK 120.00" in renderer.email(request("order.refunded")).subject


def test_html_escapes_customer_data(renderer: Renderer) -> None:
    # given a customer and an item whose names are markup
    event = {**EVENTS["order.placed"], "items": [{**ITEMS[0], "name": '<img src=x onerror="x">'}]}
    req = request("order.placed", first_name="<script>alert(1)</script>", event=event)
    # when
    html = renderer.email(req).html
    # then
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;x&#34;&gt;" in html


def test_html_never_links_a_javascript_url(renderer: Renderer) -> None:
    event = {**EVENTS["fulfillment.shipped"], "tracking_url": "javascript:alert(1)"}
    req = request("fulfillment.shipped", event=event)
    assert "javascript:" not in renderer.email(req).html
    assert json.loads(renderer.push(req, ttl=60).payload)["url"] == ""


def test_missing_first_name_reads_naturally(renderer: Renderer) -> None:
    email = renderer.email(request("order.placed", first_name=None))
    assert email.subject == "Order #1001 confirmed: thank you!"
    assert email.text.startswith("Hi there,")


def test_optional_fields_may_be_absent_or_null(renderer: Renderer) -> None:
    # given a delay event without its optional fields, and one with them null
    bare = {k: v for k, v in EVENTS["fulfillment.delayed"].items() if k not in ("reason",)}
    nulls = {**bare, "new_estimated_delivery": None, "tracking_url": None}
    for event in (bare, nulls):
        req = request("fulfillment.delayed", event=event)
        assert "is delayed" in renderer.email(req).subject
        assert "delayed" in renderer.sms(req).body


def test_missing_required_field_is_a_render_error(renderer: Renderer) -> None:
    event = {k: v for k, v in EVENTS["order.paid"].items() if k != "currency"}
    with pytest.raises(RenderError):
        renderer.email(request("order.paid", event=event))


def test_unknown_template_is_a_permanent_error(renderer: Renderer) -> None:
    req = request("order.placed").model_copy(update={"template": "order.exploded"})
    with pytest.raises(UnknownTemplate):
        renderer.email(req)
    with pytest.raises(UnknownTemplate):
        renderer.sms(req.model_copy(update={"template": "../../etc/passwd"}))


def test_missing_contact_point_is_a_permanent_error(renderer: Renderer) -> None:
    req = request("order.paid")
    no_phone = req.model_copy(
        update={"recipient": req.recipient.model_copy(update={"phone": None})}
    )
    with pytest.raises(MissingContact):
        renderer.sms(no_phone)


@pytest.mark.parametrize("language", ["de", "de-AT", "pt-BR"])
def test_language_without_templates_falls_back_to_english(
    renderer: Renderer, language: str
) -> None:
    email = renderer.email(request("order.paid", language=language))
    assert email.subject == "Payment received for order #1001"
    assert "€88.80" in email.text  # written as English writes it, like the words around it
    assert '<html lang="en">' in email.html


def test_language_with_templates_is_preferred(tmp_path: Path) -> None:
    # given Finnish templates for one event type only
    (tmp_path / "en").symlink_to(TEMPLATES / "en")
    (tmp_path / "_shared").symlink_to(TEMPLATES / "_shared")
    (tmp_path / "fi").mkdir()
    (tmp_path / "fi" / "order.paid.txt.j2").write_text(
        "{% block subject %}Maksu vastaanotettu: tilaus #{{ event.order_number }}{% endblock %}"
        "{% block text %}Hei {{ customer.first_name }}{% endblock %}{% block sms %}x{% endblock %}"
        "{% block push_title %}x{% endblock %}{% block push_body %}x{% endblock %}"
    )
    renderer = Renderer(tmp_path)
    # when / then: Finnish where it exists, English for the rest
    assert renderer.sms(request("order.paid", language="fi-FI")).body == "x"
    assert renderer.email(request("order.paid", language="fi")).subject.startswith("Maksu")
    assert renderer.email(request("order.placed", language="fi")).subject.startswith("Order")


def test_push_payload_is_cut_to_the_size_limit(renderer: Renderer) -> None:
    # given a cancellation reason far beyond what a push can carry
    event = {**EVENTS["order.cancelled"], "reason": "ä" * 20_000}
    # when
    push = renderer.push(request("order.cancelled", event=event), ttl=60)
    # then
    assert len(push.payload) <= MAX_PUSH_PAYLOAD
    assert json.loads(push.payload)["title"] == "Order #1001 cancelled"


def test_push_body_is_shortened_not_dropped(renderer: Renderer) -> None:
    # the template truncates reasons; make the first name carry the bulk instead
    req = request("order.placed", first_name="Å" * 3000)
    push = renderer.push(req, ttl=60)
    body = json.loads(push.payload)["body"]
    assert len(push.payload) <= MAX_PUSH_PAYLOAD
    assert body.startswith("Thanks, ÅÅÅ") and body.endswith("…")


def test_sms_segments_counts_gsm_and_unicode() -> None:
    assert sms_segments("a" * 160) == 1
    assert sms_segments("a" * 161) == 2
    assert sms_segments("€" * 80) == 1  # extension characters count twice
    assert sms_segments("あ" * 70) == 1
    assert sms_segments("あ" * 71) == 2


def test_dict_methods_stay_reachable_in_templates(tmp_path: Path) -> None:
    # given a template that calls dict methods on data whose keys shadow them
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "order.placed.txt.j2").write_text(
        "{% block subject %}{{ event.get('order_number') }} {{ event.items() | list | length }}"
        "{% endblock %}{% block text %}{{ event['items'] | length }}{% endblock %}"
        "{% block sms %}{{ event.keys }}{% endblock %}{% block push_title %}x{% endblock %}"
        "{% block push_body %}x{% endblock %}"
    )
    (tmp_path / "en" / "order.placed.html.j2").write_text("<p>{{ event.total }}</p>")
    renderer = Renderer(tmp_path)
    # when
    email = renderer.email(request("order.placed"))
    # then `.items` and `.get` are still the dict's methods, not its "items" key
    assert email.subject == f"#1001 {len(EVENTS['order.placed'])}"
    assert email.text == "2" and email.html == "<p>88.80</p>"
    assert renderer.sms(request("order.placed")).body.startswith("<built-in method keys")


def test_undefined_attributes_still_fail_the_render(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "order.paid.txt.j2").write_text(
        "{% block sms %}{{ event.nope }}{% endblock %}"
        "{% block push_title %}{{ event.order_number.nope }}{% endblock %}"
        "{% block push_body %}x{% endblock %}"
    )
    renderer = Renderer(tmp_path)
    with pytest.raises(RenderError, match="has no attribute 'nope'"):
        renderer.sms(request("order.paid"))
    with pytest.raises(RenderError, match="has no attribute 'nope'"):
        renderer.push(request("order.paid"), ttl=60)


def test_fallback_language_renders_the_same_every_time(renderer: Renderer) -> None:
    # the language fallback is looked up once, then reused
    first = renderer.email(request("fulfillment.shipped", language="de-DE"))
    again = renderer.email(request("fulfillment.shipped", language="de-DE"))
    assert first == again and first.subject.startswith("Order #1001 is on its way")
