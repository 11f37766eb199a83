"""Shopify's fulfillment webhooks to canonical events: where the parcel is, told once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from shopify_samples import FULFILLMENT, ORDER, data, mapped, only, sample, with_status

# What a shipment status tells the customer, whichever topic reports it.
SHIPMENT_NEWS = [
    ("in_transit", ["fulfillment.shipped"]),
    ("carrier_picked_up", ["fulfillment.shipped"]),
    ("out_for_delivery", ["fulfillment.out_for_delivery"]),
    ("delivered", ["fulfillment.delivered"]),
    ("attempted_delivery", ["fulfillment.delayed"]),
    ("delayed", ["fulfillment.delayed"]),
    ("failure", ["fulfillment.delayed"]),
]


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


@pytest.mark.parametrize(("status", "types"), SHIPMENT_NEWS)
def test_a_fulfillment_update_tells_where_the_parcel_is(status: str, types: list[str]) -> None:
    events = mapped("fulfillments/update", with_status("fulfillments/update", status)).events

    assert [e.type for e in events] == types
    assert all(data(e)["tracking_number"] == "1z827wk74630" for e in events)
    assert all(data(e)["order_number"] == "#9999" for e in events)


@pytest.mark.parametrize(("status", "types"), SHIPMENT_NEWS)
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
