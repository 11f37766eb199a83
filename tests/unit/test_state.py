"""What one event changes in the customers agent's profile and preferences, and what it leaves
alone: the agent stores only what state_changes says changed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.codec import new_event
from schemas.events import CloudEvent
from streams.loyalty import Loyalty
from streams.profiles import Preferences, Profile
from streams.state import COUNTED, Changes, remember_counted, state_changes

LOYALTY = Loyalty(points_per_unit=1, tiers={"bronze": 0, "silver": 500})
PLACED_AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ITEM = {"sku": "MUG", "name": "Mug", "quantity": 1, "unit_price": "9.90"}
ORDER = {"order_id": "o1", "customer_id": "c1", "order_number": "#1001"}


def event(type_name: str, event_id: str | None = None, **data: Any) -> CloudEvent:
    return new_event(type_name, data, source="test", event_id=event_id, time=PLACED_AT)


def placed(total: str = "52.30", **extra: Any) -> CloudEvent:
    return event("order.placed", **ORDER, currency="EUR", total=total, items=[ITEM], **extra)


def test_a_new_customer_is_stored_with_the_consent_the_shop_recorded() -> None:
    # Given a customer never seen before
    # When the shop upserts them, saying they accept marketing email
    upserted = event("customer.upserted", customer_id="c1", email="a@x.fi", accepts_marketing=True)
    changes = state_changes(None, None, upserted, LOYALTY)
    # Then both the profile and the consent, as a preference, are stored
    assert changes.profile is not None and changes.profile["email"] == "a@x.fi"
    assert changes.preferences == {"marketing": {"email": True}}


def test_consent_already_recorded_is_not_stored_again() -> None:
    # Given a customer whose marketing consent is already recorded
    prefs: Preferences = {"marketing": {"email": True}}
    # When the shop upserts them with the same consent, or with none at all
    same = event("customer.upserted", customer_id="c1", accepts_marketing=True)
    silent = event("customer.upserted", customer_id="c1", first_name="Aino")
    # Then the preferences are left as they are (the profile is stored anew each time)
    for upserted in (same, silent):
        changes = state_changes({"customer_id": "c1"}, prefs, upserted, LOYALTY)
        assert changes.preferences is None
        assert changes.profile is not None


def test_the_customers_own_word_is_stored_even_when_it_says_what_is_known() -> None:
    # Given a customer who switched SMS on for order news
    prefs: Preferences = {"transactional": {"sms": True}}
    # When they say the same again
    said = event("preferences.updated", customer_id="c1", transactional={"sms": True})
    changes = state_changes(None, prefs, said, LOYALTY)
    # Then their word is stored, and the profile is not touched
    assert changes == Changes(preferences={"transactional": {"sms": True}})
    assert changes.preferences is not prefs


def test_stop_by_sms_switches_sms_off_for_everything() -> None:
    # Given a customer with a mobile number
    profile: Profile = {"customer_id": "c1", "phone": "+358401234567"}
    # When the provider says they texted STOP
    stop = event(
        "contact.failed",
        customer_id="c1",
        channel="sms",
        action="opted_out",
        address="+358401234567",
        reason="21610",
    )
    changes = state_changes(profile, None, stop, LOYALTY)
    # Then SMS is off for order news and for offers
    assert changes.preferences == {
        "transactional": {"sms": False},
        "marketing": {"sms": False},
    }


def test_news_about_a_contact_that_changes_no_preference_leaves_preferences_alone() -> None:
    # Given a customer with preferences, and no such push subscription
    prefs: Preferences = {"marketing": {"email": True}}
    gone = event(
        "contact.failed",
        customer_id="c1",
        channel="push",
        action="gone",
        address="https://fcm.googleapis.com/fcm/send/old",
        reason="410",
    )
    # When the push service says that subscription is gone
    changes = state_changes({"customer_id": "c1"}, prefs, gone, LOYALTY)
    # Then the preferences are not stored again
    assert changes.preferences is None


def test_an_order_earns_points_at_the_shops_rate_and_is_dated_by_its_event() -> None:
    # Given a shop giving 10 points per euro, and silver at 500
    loyalty = Loyalty(points_per_unit=10, tiers={"bronze": 0, "silver": 500})
    # When a new customer places an order of 52.30 EUR
    changes = state_changes(None, None, placed("52.30"), loyalty)
    # Then the profile holds the order, its points and the tier they reach
    profile = changes.profile
    assert profile is not None
    assert (profile["loyalty_points"], profile["loyalty_tier"]) == (523, "silver")
    assert profile["first_order_at"].startswith("2026-11-23T12:00:00")
    assert changes.preferences is None


def test_an_order_fills_contact_details_the_customer_has_not_given() -> None:
    # When a customer never seen places an order that carries their email
    changes = state_changes(None, None, placed(customer={"email": "a@x.fi"}), LOYALTY)
    # Then the profile keeps the address
    assert changes.profile is not None and changes.profile["email"] == "a@x.fi"


def test_a_refund_is_known_by_its_event_id() -> None:
    # Given a customer with an order of 52.30 EUR
    profile = state_changes(None, None, placed("52.30"), LOYALTY).profile
    refund = {"order_id": "o1", "customer_id": "c1", "order_number": "#1001"}
    first = event("order.refunded", "r1", **refund, currency="EUR", amount="10.00")
    # When a refund of 10.00 comes, and the same refund (same event id) again
    refunded = state_changes(profile, None, first, LOYALTY).profile
    again = state_changes(refunded, None, first, LOYALTY)
    # Then the points go down once, and the repeat changes nothing
    assert refunded is not None and refunded["loyalty_points"] == 42
    assert again == Changes()


def test_a_cancelled_order_gives_its_points_back() -> None:
    # Given a customer with one order
    profile = state_changes(None, None, placed("52.30"), LOYALTY).profile
    # When the order is cancelled
    cancelled = event("order.cancelled", **ORDER)
    changes = state_changes(profile, None, cancelled, LOYALTY)
    # Then it no longer counts, and its points are gone
    assert changes.profile is not None
    assert (changes.profile["order_count"], changes.profile["loyalty_points"]) == (0, 0)


def test_a_browser_subscription_is_stored() -> None:
    sub = {
        "endpoint": "https://fcm.googleapis.com/fcm/send/abc",
        "keys": {"p256dh": "k", "auth": "a"},
    }
    subscribed = event("webpush.subscribed", customer_id="c1", subscription=sub)
    changes = state_changes(None, None, subscribed, LOYALTY)
    assert changes.profile is not None
    assert [s["endpoint"] for s in changes.profile["push_subscriptions"]] == [sub["endpoint"]]


@pytest.mark.parametrize(
    "news",
    [
        event("order.paid", **ORDER, currency="EUR", amount="52.30"),
        event("fulfillment.shipped", **ORDER, fulfillment_id="f1"),
        event("fulfillment.delivered", **ORDER, fulfillment_id="f1"),
        event("checkout.updated", customer_id="c1", checkout_id="k1", currency="EUR", total="1"),
    ],
    ids=lambda e: e.type,
)
def test_news_that_says_nothing_new_about_the_customer_changes_nothing(news: CloudEvent) -> None:
    # Given a customer with an order and preferences
    profile = state_changes(None, None, placed(), LOYALTY).profile
    prefs: Preferences = {"marketing": {"email": True}}
    # When payment, delivery or checkout news comes that carries no new contact details
    # Then nothing is stored
    assert state_changes(profile, prefs, news, LOYALTY) == Changes()


@given(
    total=st.decimals(min_value=0, max_value=10**6, places=2),
    rate=st.decimals(min_value=0, max_value=100, places=2),
    refunded=st.decimals(min_value=0, max_value=10**6, places=2),
)
def test_order_news_read_twice_changes_nothing_the_second_time(
    total: Decimal, rate: Decimal, refunded: Decimal
) -> None:
    # Given any shop rate, an order of any total and a refund of any amount
    loyalty = Loyalty(points_per_unit=rate, tiers={"bronze": 0, "silver": 500})
    refund = event("order.refunded", "r1", **ORDER, currency="EUR", amount=str(refunded))
    profile: Profile | None = None
    for news in (placed(str(total)), refund, event("order.cancelled", **ORDER)):
        # When each is folded in, and then read again (a redelivery)
        once = state_changes(profile, None, news, loyalty).profile or profile
        # Then the second reading stores nothing
        assert state_changes(once, None, news, loyalty) == Changes()
        profile = once
    # And the balance is never negative
    assert profile is not None and profile["loyalty_points"] >= 0


def _story() -> list[CloudEvent]:
    """Two orders, a refund of the first, the second cancelled: each with its own id."""
    second = {**ORDER, "order_id": "o2", "order_number": "#1002"}
    return [
        placed(),
        event("order.placed", **second, currency="EUR", total="20.00", items=[ITEM]),
        event("order.refunded", **ORDER, currency="EUR", amount="12.30"),
        event("order.cancelled", **second),
    ]


def _fold(events: list[CloudEvent]) -> Profile:
    profile: Profile | None = None
    for each in events:
        profile = state_changes(profile, None, each, LOYALTY).profile or profile
    assert profile is not None
    return profile


@given(repeats=st.lists(st.integers(0, 3), max_size=8))
def test_events_published_again_are_counted_once(repeats: list[int]) -> None:
    # Given a customer's story, and the same story with some events published again later
    # (a Kafka timeout after part of a batch, then the shop's retry of the whole batch)
    story = _story()
    repeated = [*story, *(story[i] for i in repeats)]
    # Then orders, spend and points are what the story without the repeats made them
    once, twice = _fold(story), _fold(repeated)
    for key in ("order_count", "lifetime_spend", "loyalty_points", "recent_orders"):
        assert twice[key] == once[key]
    assert once["order_count"] == 1 and once["loyalty_points"] == 40


def test_an_event_counted_is_not_counted_again_and_the_memory_is_bounded() -> None:
    first = placed()
    profile = state_changes(None, None, first, LOYALTY).profile
    assert profile is not None and profile["counted_events"] == [first.id]
    # The same event again changes nothing, whatever the order fold would say
    forgetful = {**profile, "recent_orders": []}
    assert state_changes(forgetful, None, first, LOYALTY) == Changes()
    # Only the newest COUNTED ids are kept
    for n in range(COUNTED + 5):
        profile = remember_counted(profile, f"e{n}")
    assert len(profile["counted_events"]) == COUNTED
    assert profile["counted_events"][-1] == f"e{COUNTED + 4}"
