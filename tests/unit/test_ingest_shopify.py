"""Shopify webhooks of every topic: a redelivery maps to the same ids, and any payload maps
or is refused naming a field."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_fuzz import assert_mapped_or_refused, damage, field_keys, json_values, paths
from shopify_samples import AT, mapped, only, sample

from ingest.shopify import MAPPERS

# Redelivery


@pytest.mark.parametrize("topic", sorted(MAPPERS))
def test_a_redelivered_webhook_maps_to_the_same_event_ids(topic: str) -> None:
    payload = sample(topic)
    if topic == "fulfillments/update":
        payload["shipment_status"] = "delivered"
    first = mapped(topic, payload, at=AT)
    again = mapped(topic, payload, at=AT + timedelta(hours=7))

    assert first.events
    assert [e.id for e in again.events] == [e.id for e in first.events]


def test_different_orders_get_different_event_ids() -> None:
    other = sample("orders/create") | {"id": 820982911946154509}

    assert only("orders/create").id != only("orders/create", other).id


# Any payload: an event the contract accepts, or a MappingError naming a field


FIELD_NAMES = sorted(
    {
        "id", "order_id", "fulfillment_id", "customer_id", "name", "order_number", "email",
        "contact_email", "email_address", "phone", "customer", "line_items", "quantity",
        "price", "sku", "title", "product_id", "currency", "total_price", "status",
        "shipment_status", "token", "transactions", "kind", "amount", "note", "updated_at",
        "happened_at", "estimated_delivery_at", "message", "customer_locale", "locale",
        "shipping_address", "default_address", "country_code", "email_marketing_consent",
        "sms_marketing_consent", "state", "accepts_marketing", "completed_at", "refund_line_items",
        "subtotal_set", "shop_money", "currency_code", "tracking_number", "cancel_reason",
    }
)  # fmt: skip
KEYS = field_keys(FIELD_NAMES)
JSON = json_values(["USD", "in_transit", "2021-12-31T19:00Z"], FIELD_NAMES)
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


PATHS = {topic: paths(sample(topic)) for topic in MAPPERS}


@st.composite
def damaged(draw: st.DrawFn, topic: str) -> dict[str, Any]:
    """The topic's sample with one value removed or replaced by any JSON value."""
    payload = sample(topic)
    damage(draw, payload, PATHS[topic], JSON)
    return payload


@pytest.mark.parametrize("topic", sorted(MAPPERS))
@FUZZ
@given(payload=JSON | st.dictionaries(KEYS, JSON, max_size=10))
def test_any_json_payload_maps_or_is_refused_naming_a_field(topic: str, payload: Any) -> None:
    assert_mapped_or_refused(partial(mapped, topic), payload)


@pytest.mark.parametrize("topic", sorted(MAPPERS))
@FUZZ
@given(draw=st.data())
def test_a_damaged_sample_maps_or_is_refused_naming_a_field(
    topic: str, draw: st.DataObject
) -> None:
    assert_mapped_or_refused(partial(mapped, topic), draw.draw(damaged(topic)))
