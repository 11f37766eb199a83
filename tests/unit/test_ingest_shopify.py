"""Shopify webhooks to canonical events, from Shopify's own documented sample payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_fuzz import field_keys, json_values, paths

from ingest.mapping import Mapped, MappingError, guest_id
from ingest.shopify import MAPPERS, Webhook, map_webhook
from schemas.codec import decode_event, encode
from schemas.events import CloudEvent

FIXTURES = Path(__file__).parents[1] / "fixtures" / "shopify"
SHOP = "jsmith.myshopify.com"
AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ORDER = f"{SHOP}/orders/820982911946154508"
FULFILLMENT = f"{SHOP}/fulfillments/123456"
RAW = {topic: (FIXTURES / f"{topic.replace('/', '_')}.json").read_text() for topic in MAPPERS}


def sample(topic: str) -> dict[str, Any]:
    """A fresh copy of the documented sample for a topic, free to modify."""
    payload: dict[str, Any] = json.loads(RAW[topic])
    return payload


def mapped(topic: str, payload: Any = None, webhook_id: str = "wh-1", at: datetime = AT) -> Mapped:
    body = sample(topic) if payload is None else payload
    return map_webhook(Webhook(SHOP, topic, body, webhook_id, at))


def only(topic: str, payload: Any = None) -> CloudEvent:
    events = mapped(topic, payload).events
    assert len(events) == 1, events
    return events[0]


def data(event: CloudEvent) -> dict[str, Any]:
    fields: dict[str, Any] = event.data.model_dump(mode="json", exclude_none=True)  # type: ignore[attr-defined]
    return fields


def with_status(topic: str, status: str) -> dict[str, Any]:
    """A fulfillment sample reporting a shipment status, as each topic carries it."""
    field = "shipment_status" if topic.startswith("fulfillments/") else "status"
    return sample(topic) | {field: status}


def refused(topic: str, payload: Any) -> MappingError:
    with pytest.raises(MappingError) as caught:
        mapped(topic, payload)
    return caught.value


# Orders


def test_a_new_order_is_placed_with_the_number_the_customer_knows() -> None:
    event = only("orders/create")

    assert event.type == "order.placed"
    assert event.source == f"https://{SHOP}"
    assert event.partitionkey == f"{SHOP}/customers/115310627314723954"
    assert data(event) == {
        "order_id": ORDER,
        "order_number": "#9999",
        "customer_id": f"{SHOP}/customers/115310627314723954",
        "customer": {
            "email": "jon@example.com",  # the order's contact email, not customer.email
            "first_name": "John",
            "last_name": "Smith",
            "language": "en",
        },
        "currency": "USD",
        "total": "404.95",
        "items": [
            {
                "sku": "SKU2006-001",
                "name": "Aviator sunglasses",
                "quantity": 1,
                "unit_price": "89.99",
            },
            {
                "sku": "LENS-PROTECT-2YR",
                "name": "Lens Protection Plan (2 Year)",
                "quantity": 1,
                "unit_price": "19.99",
            },
            {
                "sku": "CASE-LEATHER-PREM",
                "name": "Premium Leather Case",
                "quantity": 1,
                "unit_price": "24.99",
            },
            {
                "sku": "SKU2006-020",
                "name": "Mid-century lounger",
                "quantity": 1,
                "unit_price": "159.99",
            },
            {"sku": "SKU2006-035", "name": "Coffee table", "quantity": 1, "unit_price": "119.99"},
        ],
        "shipping_address": {"city": "Shippington", "country_code": "US", "zip": "40003"},
    }


def test_the_event_time_is_when_the_order_changed_not_when_the_webhook_came() -> None:
    assert only("orders/create").time == datetime(2022, 1, 1, 0, tzinfo=UTC)  # 19:00 -05:00


def test_a_paid_order_carries_the_amount_paid() -> None:
    event = only("orders/paid")

    assert event.type == "order.paid"
    assert data(event) == {
        "order_id": ORDER,
        "order_number": "#9999",
        "customer_id": f"{SHOP}/customers/115310627314723954",
        "currency": "USD",
        "amount": "404.95",
    }


def test_a_cancelled_order_says_why() -> None:
    event = only("orders/cancelled")

    assert event.type == "order.cancelled"
    assert data(event)["reason"] == "customer"
    assert data(event)["order_number"] == "#9999"


def test_a_guest_order_gets_a_stable_guest_id_that_is_not_the_email() -> None:
    order = sample("orders/create")
    order["customer"] = None
    shouting = sample("orders/create") | {"customer": None, "email": " JON@example.com "}

    customer_id = data(only("orders/create", order))["customer_id"]

    assert customer_id == guest_id(SHOP, "jon@example.com")
    assert customer_id.startswith(f"{SHOP}/guests/")
    assert "jon" not in customer_id
    assert data(only("orders/create", shouting))["customer_id"] == customer_id


def test_a_guest_order_without_any_email_is_the_buyer_of_that_order() -> None:
    order = sample("orders/create") | {"customer": None, "email": None, "contact_email": None}

    assert data(only("orders/create", order))["customer_id"] == f"{ORDER}/buyer"


def test_without_a_name_the_order_number_is_used() -> None:
    order = sample("orders/paid") | {"name": None}

    assert data(only("orders/paid", order))["order_number"] == "#1234"


def test_lines_removed_from_the_order_are_left_out() -> None:
    order = sample("orders/create")
    order["line_items"][0]["quantity"] = 0

    skus = [item["sku"] for item in data(only("orders/create", order))["items"]]

    assert "SKU2006-001" not in skus
    assert len(skus) == 4


def test_an_order_with_no_line_left_is_refused() -> None:
    order = sample("orders/create")
    for line in order["line_items"]:
        line["quantity"] = 0

    assert refused("orders/create", order).field == "line_items"


def test_a_locale_with_a_region_becomes_a_language_tag() -> None:
    order = sample("orders/create") | {"customer_locale": "pt_BR"}

    assert data(only("orders/create", order))["customer"]["language"] == "pt-BR"


@pytest.mark.parametrize(
    ("topic", "path", "field"),
    [
        ("orders/create", ("line_items", 0, "price"), "line_items[0].price"),
        ("orders/create", ("line_items", 2, "quantity"), "line_items[2].quantity"),
        ("orders/create", ("currency",), "currency"),
        ("orders/create", ("total_price",), "total_price"),
        ("orders/paid", ("id",), "id"),
        ("orders/cancelled", ("id",), "id"),
        ("refunds/create", ("order_id",), "order_id"),
        ("fulfillments/create", ("order_id",), "order_id"),
        ("fulfillment_events/create", ("status",), "status"),
        ("fulfillment_events/create", ("fulfillment_id",), "fulfillment_id"),
        ("checkouts/create", ("token",), "token"),
        ("checkouts/update", ("total_price",), "total_price"),
        ("customers/create", ("id",), "id"),
    ],
)
def test_a_missing_required_field_is_refused_naming_it(
    topic: str, path: tuple[str | int, ...], field: str
) -> None:
    payload = sample(topic)
    parent: Any = payload
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]

    assert refused(topic, payload).field == field


def test_a_value_of_the_wrong_kind_is_refused_naming_it() -> None:
    order = sample("orders/create")
    order["line_items"][1]["price"] = "about twenty"

    error = refused("orders/create", order)

    assert error.field == "line_items[1].price"
    assert "about twenty" in error.reason


def test_a_currency_the_contract_refuses_names_the_canonical_field() -> None:
    order = sample("orders/paid") | {"currency": "dollars"}

    assert refused("orders/paid", order).field == "(order.paid data.currency)"


def test_an_absurd_amount_is_refused_rather_than_written_out() -> None:
    order = sample("orders/paid") | {"total_price": "1e999999999"}

    assert refused("orders/paid", order).field == "total_price"


def test_text_that_is_not_unicode_is_refused_naming_the_field() -> None:
    order = sample("orders/create") | {"customer": None, "email": "\udc00@example.com"}

    assert refused("orders/create", order).field == "email"


# Refunds


def test_a_refund_is_the_sum_of_its_successful_refund_transactions() -> None:
    event = only("refunds/create")

    assert event.type == "order.refunded"
    assert event.partitionkey == ORDER  # a refund does not say whose order it is
    assert data(event) == {
        "order_id": ORDER,
        "currency": "USD",  # the sample's transactions have "currency": null
        "amount": "85.00",
        "reason": "Things were damaged",
    }


def test_a_failed_refund_transaction_moved_no_money() -> None:
    refund = sample("refunds/create")
    refund["transactions"][1]["status"] = "failure"
    refund["transactions"].append(refund["transactions"][0] | {"kind": "sale", "amount": "5.00"})

    assert data(only("refunds/create", refund))["amount"] == "75.00"


def test_a_refund_without_a_successful_transaction_is_ignored_with_the_reason() -> None:
    refund = sample("refunds/create")
    for tx in refund["transactions"]:
        tx["status"] = "pending"

    result = mapped("refunds/create", refund)

    assert result.events == []
    assert result.ignored is not None and "no successful refund transaction" in result.ignored


def test_a_transaction_currency_is_preferred_to_the_fallbacks() -> None:
    refund = sample("refunds/create")
    refund["transactions"][0]["currency"] = "CAD"

    assert data(only("refunds/create", refund))["currency"] == "CAD"


def test_the_refunded_lines_give_the_currency_when_the_duties_do_not() -> None:
    refund = sample("refunds/create")
    del refund["total_duties_set"]
    for line in refund["refund_line_items"]:
        line["subtotal_set"]["shop_money"]["currency_code"] = "EUR"

    assert data(only("refunds/create", refund))["currency"] == "EUR"


def test_a_refund_of_an_absurd_amount_is_refused_rather_than_summed() -> None:
    refund = sample("refunds/create")
    refund["transactions"][1]["amount"] = "1e1000000"

    assert refused("refunds/create", refund).field == "transactions[1].amount"


def test_a_refund_that_names_no_currency_anywhere_is_refused() -> None:
    refund = sample("refunds/create")
    del refund["total_duties_set"]
    refund["refund_line_items"] = []

    assert refused("refunds/create", refund).field == "transactions[].currency"


# Fulfillments


def test_a_new_fulfillment_is_shipped_with_tracking_and_the_order_number() -> None:
    event = only("fulfillments/create")

    assert event.type == "fulfillment.shipped"
    assert event.partitionkey == ORDER
    assert data(event) == {
        "order_id": ORDER,
        "order_number": "#9999",  # from the fulfillment's name "#9999.1"
        "fulfillment_id": FULFILLMENT,
        "carrier": "UPS",
        "tracking_number": "1z827wk74630",
        "tracking_url": "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1z827wk74630",
    }


def test_the_documented_fulfillment_update_has_no_shipment_status_and_no_news() -> None:
    result = mapped("fulfillments/update")

    assert result.events == []
    assert result.ignored == "shipment status none carries no customer news"


@pytest.mark.parametrize(
    ("status", "types"),
    [
        ("in_transit", ["fulfillment.shipped"]),
        ("carrier_picked_up", ["fulfillment.shipped"]),
        ("out_for_delivery", ["fulfillment.out_for_delivery"]),
        ("delivered", ["fulfillment.delivered"]),
        ("attempted_delivery", ["fulfillment.delayed"]),
        ("delayed", ["fulfillment.delayed"]),
        ("failure", ["fulfillment.delayed"]),
    ],
)
def test_a_fulfillment_update_tells_where_the_parcel_is(status: str, types: list[str]) -> None:
    events = mapped("fulfillments/update", with_status("fulfillments/update", status)).events

    assert [e.type for e in events] == types
    assert all(data(e)["tracking_number"] == "1z827wk74630" for e in events)
    assert all(data(e)["order_number"] == "#9999" for e in events)


@pytest.mark.parametrize(
    ("status", "types"),
    [
        ("in_transit", ["fulfillment.shipped"]),
        ("out_for_delivery", ["fulfillment.out_for_delivery"]),
        ("delivered", ["fulfillment.delivered"]),
        ("attempted_delivery", ["fulfillment.delayed"]),
        ("delayed", ["fulfillment.delayed"]),
        ("failure", ["fulfillment.delayed"]),
    ],
)
def test_a_fulfillment_event_tells_where_the_parcel_is(status: str, types: list[str]) -> None:
    events = mapped(
        "fulfillment_events/create", with_status("fulfillment_events/create", status)
    ).events

    assert [e.type for e in events] == types
    assert data(events[0])["order_id"] == ORDER
    assert data(events[0])["fulfillment_id"] == FULFILLMENT


@pytest.mark.parametrize("topic", ["fulfillments/update", "fulfillment_events/create"])
@pytest.mark.parametrize("status", ["confirmed", "label_printed"])
def test_a_label_or_a_confirmation_is_no_news(topic: str, status: str) -> None:
    result = mapped(topic, with_status(topic, status))

    assert result.events == []
    assert result.ignored == f"shipment status {status} carries no customer news"


def test_an_unknown_shipment_status_is_ignored_as_unknown() -> None:
    report = sample("fulfillment_events/create") | {"status": "teleported"}

    assert mapped("fulfillment_events/create", report).ignored == (
        "shipment status teleported is unknown"
    )


def test_a_cancelled_fulfillment_shipped_nothing() -> None:
    fulfillment = sample("fulfillments/create") | {"status": "cancelled"}

    result = mapped("fulfillments/create", fulfillment)

    assert result.events == []
    assert result.ignored == "fulfillment status cancelled: nothing shipped"


def test_a_delivery_is_dated_when_it_happened() -> None:
    report = sample("fulfillment_events/create") | {"status": "delivered"}

    delivered_at = data(only("fulfillment_events/create", report))["delivered_at"]

    assert datetime.fromisoformat(delivered_at) == datetime(2022, 1, 1, 0, tzinfo=UTC)


def test_a_delay_says_why_and_the_new_estimate() -> None:
    attempted = sample("fulfillment_events/create") | {
        "status": "attempted_delivery",
        "estimated_delivery_at": "2022-01-04T18:00:00-05:00",
    }
    delayed = sample("fulfillment_events/create") | {"status": "delayed", "message": "Storm"}

    assert data(only("fulfillment_events/create", attempted)) == {
        "order_id": ORDER,
        "fulfillment_id": FULFILLMENT,
        "reason": "The carrier tried to deliver and will try again",
        "new_estimated_delivery": "2022-01-04",
    }
    assert data(only("fulfillment_events/create", delayed))["reason"] == "Storm"


def test_an_estimated_delivery_date_travels_with_the_shipment() -> None:
    report = sample("fulfillment_events/create") | {"estimated_delivery_at": "2022-01-05T12:00Z"}

    assert data(only("fulfillment_events/create", report))["estimated_delivery"] == "2022-01-05"


def test_the_parcel_leaving_is_one_event_whichever_topic_reports_it() -> None:
    created = only("fulfillments/create")
    in_transit = only("fulfillment_events/create")
    updated = only("fulfillments/update", with_status("fulfillments/update", "in_transit"))

    assert created.id == in_transit.id == updated.id


def test_a_delivery_reported_by_both_topics_is_one_event() -> None:
    update = only("fulfillments/update", with_status("fulfillments/update", "delivered"))
    report = only(
        "fulfillment_events/create", with_status("fulfillment_events/create", "delivered")
    )

    assert update.id == report.id


def test_every_delay_report_is_news() -> None:
    first = sample("fulfillment_events/create") | {"status": "delayed"}
    second = first | {"id": first["id"] + 1}

    assert (
        only("fulfillment_events/create", first).id != only("fulfillment_events/create", second).id
    )


# Checkouts and customers


def test_a_checkout_is_tracked_with_its_recovery_link() -> None:
    event = only("checkouts/create")

    assert event.type == "checkout.updated"
    assert event.partitionkey == f"{SHOP}/customers/603851970716743426"
    assert data(event) == {
        "customer_id": f"{SHOP}/customers/603851970716743426",
        "checkout_id": f"{SHOP}/checkouts/123123123",
        "customer": {"email": "example@email.com", "first_name": "John", "last_name": "Smith"},
        "currency": "USD",
        "total": "421.88",
        "items": [
            {
                "sku": "IPOD2008PINK",
                "name": "IPod Nano - 8GB",
                "quantity": 1,
                "unit_price": "199.00",
            }
        ]
        * 2,
        "recovery_url": "https://checkout.local/548380009/checkouts/123123123/recover?key=example-secret-token",
        "completed": False,
    }


def test_a_completed_checkout_says_so() -> None:
    checkout = sample("checkouts/update") | {"completed_at": "2022-01-01T10:00:00-05:00"}

    assert data(only("checkouts/update", checkout))["completed"] is True


def test_a_guest_checkout_is_keyed_by_the_guest() -> None:
    checkout = sample("checkouts/create") | {"customer": None}

    assert data(only("checkouts/create", checkout))["customer_id"] == guest_id(
        SHOP, "example@email.com"
    )


def test_a_checkout_nobody_can_be_reminded_of_is_ignored() -> None:
    checkout = sample("checkouts/create") | {"customer": None, "email": None}

    result = mapped("checkouts/create", checkout)

    assert result.events == []
    assert result.ignored is not None and "nobody to remind" in result.ignored


@pytest.mark.parametrize("topic", ["customers/create", "customers/update"])
def test_a_customer_profile_is_upserted(topic: str) -> None:
    event = only(topic)

    assert event.type == "customer.upserted"
    assert data(event) == {
        "customer_id": f"{SHOP}/customers/706405506930370084",
        "email": "bob@biller.com",
        "first_name": "Bob",
        "last_name": "Biller",
        "country_code": "CA",
    }


def test_email_consent_sets_accepts_marketing() -> None:
    subscribed = sample("customers_email_marketing_consent/update")
    subscribed["email_marketing_consent"]["state"] = "subscribed"

    documented = data(only("customers_email_marketing_consent/update"))
    given_consent = data(only("customers_email_marketing_consent/update", subscribed))

    assert documented == {
        "customer_id": f"{SHOP}/customers/706405506930370084",
        "email": "bob@biller.com",
        "accepts_marketing": False,  # the sample's state is "not_subscribed"
    }
    assert given_consent["accepts_marketing"] is True


def test_sms_consent_sets_accepts_sms_marketing() -> None:
    subscribed = sample("customers_marketing_consent/update")
    subscribed["sms_marketing_consent"]["state"] = "subscribed"
    withdrawn = sample("customers_marketing_consent/update")
    withdrawn["sms_marketing_consent"]["state"] = "unsubscribed"

    topic = "customers_marketing_consent/update"
    assert "accepts_sms_marketing" not in data(only(topic))  # the sample's state is null
    assert data(only(topic, subscribed))["accepts_sms_marketing"] is True
    assert data(only(topic, withdrawn))["accepts_sms_marketing"] is False


def test_a_topic_without_customer_news_is_ignored_not_refused() -> None:
    result = mapped("products/create", {"id": 1})

    assert result.events == []
    assert result.ignored == "topic 'products/create' carries no customer news"


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
    path = draw(st.sampled_from(PATHS[topic]))
    parent: Any = payload
    for step in path[:-1]:
        parent = parent[step]
    if draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON)
    return payload


def assert_mapped_or_refused(topic: str, payload: Any) -> None:
    try:
        result = mapped(topic, payload)
    except MappingError as exc:
        assert exc.field
        return
    assert bool(result.events) != bool(result.ignored)
    for event in result.events:
        assert decode_event(encode(event)) == event
    assert [e.id for e in mapped(topic, payload).events] == [e.id for e in result.events]


@pytest.mark.parametrize("topic", sorted(MAPPERS))
@FUZZ
@given(payload=JSON | st.dictionaries(KEYS, JSON, max_size=10))
def test_any_json_payload_maps_or_is_refused_naming_a_field(topic: str, payload: Any) -> None:
    assert_mapped_or_refused(topic, payload)


@pytest.mark.parametrize("topic", sorted(MAPPERS))
@FUZZ
@given(draw=st.data())
def test_a_damaged_sample_maps_or_is_refused_naming_a_field(
    topic: str, draw: st.DataObject
) -> None:
    assert_mapped_or_refused(topic, draw.draw(damaged(topic)))
