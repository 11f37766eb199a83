"""Shopify's order and refund webhooks to canonical events, from its documented samples."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from json_fuzz import holder
from shopify_samples import ORDER, SHOP, data, mapped, only, refused, sample

from ingest.mapping import guest_id

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
    del holder(payload, path)[path[-1]]

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
