"""WooCommerce order webhooks to canonical events, from the REST API's documented order 727."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_fuzz import assert_mapped_or_refused, damage, field_keys, holder, json_values, paths

from ingest.mapping import Mapped, MappingError, guest_id
from ingest.woocommerce import ORDER_TOPICS, Webhook, map_webhook
from schemas.events import CloudEvent

FIXTURES = Path(__file__).parents[1] / "fixtures" / "woocommerce"
STORE = "https://example.com/"  # X-WC-Webhook-Source: home_url('/')
AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ORDER = "example.com/orders/727"
GUEST = guest_id("example.com", "john.doe@example.com")
RAW = {name: (FIXTURES / f"{name}.json").read_text() for name in ("order_created", "order_updated")}


def sample(name: str = "order_created", **changes: Any) -> dict[str, Any]:
    """A fresh copy of the documented order (processing; order_updated: completed)."""
    payload: dict[str, Any] = json.loads(RAW[name])
    return payload | changes


def mapped(topic: str, payload: Any) -> Mapped:
    return map_webhook(Webhook(STORE, topic, payload, "delivery-1", AT))


def types(topic: str, payload: Any) -> list[str]:
    return [e.type for e in mapped(topic, payload).events]


def data(event: CloudEvent) -> dict[str, Any]:
    fields: dict[str, Any] = event.data.model_dump(mode="json", exclude_none=True)  # type: ignore[attr-defined]
    return fields


def test_a_new_processing_order_is_placed_and_paid() -> None:
    placed, paid = mapped("order.created", sample()).events

    assert placed.type == "order.placed"
    assert placed.source == "https://example.com"
    assert placed.partitionkey == GUEST
    assert data(placed) == {
        "order_id": ORDER,
        "order_number": "#727",
        "customer_id": GUEST,
        "customer": {
            "email": "john.doe@example.com",
            "phone": "(555) 555-5555",
            "first_name": "John",
            "last_name": "Doe",
        },
        "currency": "USD",
        "total": "29.35",
        "items": [
            {"sku": "product-93", "name": "Woo Single #1", "quantity": 2, "unit_price": "3"},
            {
                "sku": "Bar3",
                "name": "Ship Your Idea \u2013 Color: Black, Size: M Test",  # was &ndash;
                "quantity": 1,
                "unit_price": "12",
            },
        ],
        "shipping_address": {"city": "San Francisco", "country_code": "US", "zip": "94103"},
    }
    assert paid.type == "order.paid"
    assert data(paid) == {
        "order_id": ORDER,
        "order_number": "#727",
        "customer_id": GUEST,
        "currency": "USD",
        "amount": "29.35",
    }


def test_the_event_time_is_when_the_order_was_modified_in_utc() -> None:
    placed = mapped("order.created", sample()).events[0]

    assert placed.time == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)


def test_a_completed_order_is_shipped_and_not_placed_again() -> None:
    (shipped,) = mapped("order.updated", sample("order_updated")).events

    assert shipped.type == "fulfillment.shipped"
    assert data(shipped) == {
        "order_id": ORDER,
        "order_number": "#727",
        "customer_id": GUEST,
        "fulfillment_id": f"{ORDER}/fulfillment",
    }


def test_a_completed_order_created_at_once_is_placed_and_shipped() -> None:
    assert types("order.created", sample("order_updated")) == [
        "order.placed",
        "fulfillment.shipped",
    ]


@pytest.mark.parametrize("topic", ORDER_TOPICS)
def test_a_cancelled_order_is_cancelled(topic: str) -> None:
    (cancelled,) = mapped(topic, sample(status="cancelled")).events

    assert cancelled.type == "order.cancelled"
    assert "reason" not in data(cancelled)


def test_a_failed_order_is_cancelled_because_the_payment_failed() -> None:
    (cancelled,) = mapped("order.updated", sample(status="failed")).events

    assert cancelled.type == "order.cancelled"
    assert data(cancelled)["reason"] == "The payment failed"


def test_a_refunded_order_is_one_refund_event_per_refund_with_positive_amounts() -> None:
    refunds = [
        {"id": 726, "reason": "Wrong size", "total": "-10.00"},
        {"id": 728, "reason": "", "total": "-19.35"},
    ]

    events = mapped("order.updated", sample(status="refunded", refunds=refunds)).events

    assert [e.type for e in events] == ["order.refunded", "order.refunded"]
    assert [data(e)["amount"] for e in events] == ["10.00", "19.35"]
    assert data(events[0])["reason"] == "Wrong size"
    assert "reason" not in data(events[1])
    assert all(data(e)["currency"] == "USD" for e in events)
    assert events[0].id != events[1].id


def test_a_refunded_order_without_a_refunds_list_is_refunded_in_full() -> None:
    (refunded,) = mapped("order.updated", sample(status="refunded")).events

    assert refunded.type == "order.refunded"
    assert data(refunded)["amount"] == "29.35"


def test_a_partial_refund_on_a_completed_order_is_news_too() -> None:
    refund = {"id": 730, "reason": "", "total": "-3.00"}

    events = mapped("order.updated", sample("order_updated", refunds=[refund])).events

    assert [e.type for e in events] == ["fulfillment.shipped", "order.refunded"]


def test_a_refund_of_nothing_is_left_out() -> None:
    refund = {"id": 731, "reason": "", "total": "0.00"}

    assert types("order.updated", sample("order_updated", refunds=[refund])) == [
        "fulfillment.shipped"
    ]


def test_a_registered_customer_is_keyed_by_their_customer_id() -> None:
    placed = mapped("order.created", sample(customer_id=25)).events[0]

    assert data(placed)["customer_id"] == "example.com/customers/25"
    assert placed.partitionkey == "example.com/customers/25"


def test_a_guest_gets_a_stable_guest_id_that_is_not_the_email() -> None:
    shouting = sample()
    shouting["billing"]["email"] = "John.Doe@Example.com"

    guest = data(mapped("order.created", sample()).events[0])["customer_id"]

    assert guest == GUEST
    assert guest.startswith("example.com/guests/")
    assert "john" not in guest
    assert data(mapped("order.created", shouting).events[0])["customer_id"] == GUEST


def test_a_guest_without_an_email_is_the_buyer_of_that_order() -> None:
    order = sample()
    order["billing"]["email"] = ""

    assert data(mapped("order.created", order).events[0])["customer_id"] == f"{ORDER}/buyer"


@pytest.mark.parametrize("status", ["pending", "on-hold"])
def test_a_new_order_awaiting_payment_is_placed_but_not_paid(status: str) -> None:
    assert types("order.created", sample(status=status)) == ["order.placed"]


def test_an_update_to_pending_carries_no_news() -> None:
    result = mapped("order.updated", sample(status="pending"))

    assert result.events == []
    assert result.ignored == "order status pending carries no customer news"


def test_an_update_into_processing_places_and_pays_the_order() -> None:
    assert types("order.updated", sample(status="processing")) == ["order.placed", "order.paid"]


def test_the_same_status_twice_maps_to_the_same_event_ids() -> None:
    created = mapped("order.created", sample()).events
    updated_again = mapped("order.updated", sample(date_modified_gmt="2017-03-23T08:00:00")).events

    assert [e.id for e in updated_again] == [e.id for e in created]


def test_a_new_status_is_a_new_event_id() -> None:
    paid = mapped("order.created", sample()).events
    shipped = mapped("order.updated", sample("order_updated")).events

    assert not {e.id for e in paid} & {e.id for e in shipped}


def test_a_topic_other_than_orders_is_ignored() -> None:
    result = mapped("product.updated", {"id": 93})

    assert result.events == []
    assert result.ignored == "topic 'product.updated' carries no customer news"


def test_a_shipping_country_that_is_not_a_country_code_is_left_out() -> None:
    order = sample()
    order["shipping"]["country"] = "\u00d6s"

    placed = mapped("order.created", order).events[0]

    assert data(placed)["shipping_address"] == {"city": "San Francisco", "zip": "94103"}


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("status",), "status"),
        (("id",), "id"),
        (("currency",), "currency"),
        (("total",), "total"),
        (("line_items", 0, "price"), "line_items[0].price"),
        (("line_items", 1, "quantity"), "line_items[1].quantity"),
        (("line_items", 0, "product_id"), "line_items[0].product_id"),  # its sku is ""
    ],
)
def test_a_missing_required_field_is_refused_naming_it(
    path: tuple[str | int, ...], field: str
) -> None:
    order = sample()
    del holder(order, path)[path[-1]]

    with pytest.raises(MappingError) as caught:
        mapped("order.created", order)

    assert caught.value.field == field


def test_a_refund_without_an_amount_is_refused_naming_it() -> None:
    order = sample(status="refunded", refunds=[{"id": 726, "reason": ""}])

    with pytest.raises(MappingError) as caught:
        mapped("order.updated", order)

    assert caught.value.field == "refunds[0].total"


def test_a_refund_of_an_absurd_amount_is_refused_naming_it() -> None:
    order = sample(status="refunded", refunds=[{"id": 726, "reason": "", "total": "-1e1000000"}])

    with pytest.raises(MappingError) as caught:
        mapped("order.updated", order)

    assert caught.value.field == "refunds[0].total"


# Any payload: an event the contract accepts, or a MappingError naming a field


STATUSES = ["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"]
FIELD_NAMES = sorted(
    {
        "id", "number", "status", "currency", "total", "customer_id", "billing", "shipping",
        "email", "phone", "first_name", "last_name", "city", "country", "postcode",
        "line_items", "name", "sku", "product_id", "quantity", "price", "refunds", "reason",
        "date_modified_gmt",
    }
)  # fmt: skip
KEYS = field_keys(FIELD_NAMES)
JSON = json_values([*STATUSES, "-1.5", "USD", "&amp;&#xd800;"], FIELD_NAMES)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


PATHS = paths(sample())


@st.composite
def damaged(draw: st.DrawFn) -> dict[str, Any]:
    """The documented order, in any status, with one value removed or replaced."""
    order = sample(status=draw(st.sampled_from(STATUSES)))
    if draw(st.booleans()):
        order["refunds"] = [{"id": 726, "reason": "", "total": "-10.00"}]
    damage(draw, order, PATHS, JSON)
    return order


@pytest.mark.parametrize("topic", ORDER_TOPICS)
@FUZZ
@given(payload=JSON | st.dictionaries(KEYS, JSON, max_size=12))
def test_any_json_payload_maps_or_is_refused_naming_a_field(topic: str, payload: Any) -> None:
    assert_mapped_or_refused(partial(mapped, topic), payload)


@pytest.mark.parametrize("topic", ORDER_TOPICS)
@FUZZ
@given(payload=damaged())
def test_a_damaged_order_maps_or_is_refused_naming_a_field(topic: str, payload: Any) -> None:
    assert_mapped_or_refused(partial(mapped, topic), payload)


@pytest.mark.parametrize(("said", "consent"), [("yes", True), ("no", False), (1, True)])
def test_a_marketing_opt_in_at_checkout_is_the_customers_consent(said: Any, consent: bool) -> None:
    meta = [{"id": 1, "key": "marketing_opt_in", "value": said}]
    events = mapped("order.created", sample(meta_data=meta)).events
    upserts = [e for e in events if e.type == "customer.upserted"]
    assert [(e.data.customer_id, e.data.accepts_marketing) for e in upserts] == [  # type: ignore[attr-defined]
        (GUEST, consent)
    ]


def test_an_order_without_an_opt_in_says_nothing_about_consent() -> None:
    assert "customer.upserted" not in types("order.created", sample())
