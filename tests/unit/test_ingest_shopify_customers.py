"""Shopify's checkout and customer webhooks to canonical events, from its documented samples."""

from __future__ import annotations

import pytest
from shopify_samples import SHOP, data, mapped, only, sample

from ingest.mapping import guest_id


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
