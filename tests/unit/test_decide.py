"""Who hears what: the pure decision and profile functions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from deciding import PROFILE, SUB, decide_now
from hypothesis import given
from hypothesis import strategies as st

from aftercart.demo.sample_shop import CUSTOMERS, _order_data
from schemas.codec import new_event
from schemas.events import CloudEvent, CustomerUpserted, PreferencesUpdated, WebpushSubscribed
from schemas.notification import notification_id
from streams.decide import message_for
from streams.profiles import (
    apply_consent,
    apply_contact,
    apply_preferences,
    apply_subscription,
)
from streams.records import decision_record

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def event(type_name: str, **extra: Any) -> CloudEvent:
    data = {**_order_data(CUSTOMERS[0], type_name, 1), "customer_id": "c1", **extra}
    return new_event(type_name, data, source="test", event_id="evt-1")


def prefs(**transactional: bool) -> dict[str, dict[str, bool]]:
    update = PreferencesUpdated(customer_id="c1", transactional=transactional)  # type: ignore[arg-type]
    return apply_preferences(None, update, NOW)


def sent(decisions: list[Any]) -> dict[str, Any]:
    return {d.channel: d.request for d in decisions if d.request is not None}


def test_a_customer_who_chose_all_three_channels_gets_all_three() -> None:
    decisions = decide_now(event("order.placed"), PROFILE, prefs(sms=True, push=True))
    requests = sent(decisions)
    assert set(requests) == {"email", "sms", "push"}
    assert requests["email"].recipient.email == "aino@example.fi"
    assert requests["sms"].recipient.phone == "+358401234567"
    assert requests["push"].recipient.push.endpoint == SUB["endpoint"]
    assert requests["email"].language == "fi"
    assert requests["email"].data["customer"]["first_name"] == "Aino"


def test_by_default_order_news_goes_by_email_and_by_push_once_a_browser_subscribed() -> None:
    unsubscribed = {**PROFILE, "push_subscriptions": []}
    assert set(sent(decide_now(event("order.paid"), unsubscribed, None))) == {"email"}
    assert set(sent(decide_now(event("order.paid"), PROFILE, None))) == {"email", "push"}


def test_sms_is_suppressed_without_a_phone_number() -> None:
    profile = {**PROFILE, "phone": None}
    decisions = decide_now(event("order.paid"), profile, prefs(sms=True))
    reasons = {d.channel: d.suppressed for d in decisions}
    assert reasons["sms"] == "no mobile number"
    assert set(sent(decisions)) == {"email", "push"}


def test_an_unknown_customer_is_reached_through_the_contact_on_the_order() -> None:
    placed = event("order.placed", customer={"email": "new@example.com", "first_name": "Uma"})
    profile = apply_contact(None, placed.data)  # type: ignore[attr-defined]
    requests = sent(decide_now(placed, profile, None))
    assert requests["email"].recipient.email == "new@example.com"


def test_an_unknown_customer_without_contact_gets_an_explained_suppression() -> None:
    decisions = decide_now(event("order.paid"), None, None)
    assert [(d.channel, d.suppressed) for d in decisions if d.channel == "email"] == [
        ("email", "no email address")
    ]


def test_checkout_reminders_need_marketing_consent() -> None:
    abandoned = event("checkout.abandoned")
    assert sent(decide_now(abandoned, PROFILE, None)) == {}
    consented = apply_consent(None, CustomerUpserted(customer_id="c1", accepts_marketing=True))
    assert set(sent(decide_now(abandoned, PROFILE, consented))) == {"email"}
    said_no = apply_consent(consented, CustomerUpserted(customer_id="c1", accepts_marketing=False))
    assert sent(decide_now(abandoned, PROFILE, said_no)) == {}


def test_state_events_are_not_messages() -> None:
    upserted = new_event("customer.upserted", {"customer_id": "c1"}, source="t")
    assert message_for(upserted) is None


def test_notification_ids_are_deterministic_per_event_and_channel() -> None:
    first = sent(decide_now(event("order.paid"), PROFILE, prefs(sms=True)))
    again = sent(decide_now(event("order.paid"), PROFILE, prefs(sms=True)))
    assert first["email"].notification_id == again["email"].notification_id
    assert first["email"].notification_id != first["sms"].notification_id


def test_preferences_change_only_the_channels_named() -> None:
    once = prefs(sms=True)
    twice = apply_preferences(
        once,
        PreferencesUpdated(customer_id="c1", transactional={"email": False}),  # type: ignore[arg-type]
        NOW,
    )
    assert twice["transactional"] == {"email": False, "sms": True}
    assert once["transactional"] == {"sms": True}  # the earlier value is untouched


def test_a_resubscribed_browser_is_kept_once() -> None:
    data = WebpushSubscribed.model_validate({"customer_id": "c1", "subscription": SUB})
    profile = apply_subscription(apply_subscription(None, data), data)
    assert profile["push_subscriptions"] == [SUB]


SWITCHES = st.fixed_dictionaries({c: st.booleans() for c in ("email", "sms", "push")})
NOTIFYING = st.sampled_from(
    [
        "order.placed",
        "order.paid",
        "fulfillment.shipped",
        "fulfillment.delayed",
        "checkout.abandoned",
    ]
)


@given(type_name=NOTIFYING, transactional=SWITCHES, marketing=SWITCHES)
def test_a_channel_switched_off_never_receives_and_marketing_needs_consent(
    type_name: str, transactional: dict[str, bool], marketing: dict[str, bool]
) -> None:
    chosen = {"transactional": transactional, "marketing": marketing}
    requests = sent(decide_now(event(type_name), PROFILE, chosen))
    category = "marketing" if type_name == "checkout.abandoned" else "transactional"
    for channel in requests:
        assert chosen[category][channel]
    if category == "marketing":
        assert sent(decide_now(event(type_name), PROFILE, {"transactional": transactional})) == {}


def test_the_decision_record_says_per_channel_what_happened_and_why() -> None:
    event = new_event(
        "order.paid",
        {
            "customer_id": "c1",
            "order_id": "o1",
            "order_number": "#7",
            "currency": "EUR",
            "amount": "5.00",
        },
        source="test",
    )
    profile = {"customer_id": "c1", "email": "c1@example.com", "push_subscriptions": []}
    decisions = decide_now(event, profile, None)
    record = decision_record(event, decisions, NOW)
    by_channel = {c.channel: c for c in record.channels}
    assert by_channel["email"].outcome == "sent"
    assert by_channel["email"].notification_id == notification_id(event.id, "email", "order.paid")
    assert by_channel["sms"].outcome == "suppressed"
    assert by_channel["sms"].reason == "SMS was not chosen for order and delivery news"
    assert (record.customer_id, record.order_id, record.order_number) == ("c1", "o1", "#7")


def test_order_news_for_an_unusable_phone_goes_by_email_and_says_so() -> None:
    # Given a customer who chose SMS only, whose number cannot take texts
    profile = {
        "customer_id": "c1",
        "email": "aino@example.fi",
        "phone_invalid": {"raw": "09 123 4567", "reason": "not a mobile number"},
    }
    sms_only = {"transactional": {"email": False, "sms": True, "push": False}, "marketing": {}}
    decisions = decide_now(event("order.paid"), profile, sms_only)
    by_channel = {d.channel: d for d in decisions}
    # Then the payment confirmation goes by email, and the decision says why
    assert by_channel["email"].request is not None
    assert by_channel["email"].note == (
        "by email instead (SMS: the mobile number cannot take texts (not a mobile number))"
    )
    assert by_channel["sms"].request is None


def test_no_fallback_when_the_customer_turned_the_channel_off_or_for_marketing() -> None:
    profile = {"customer_id": "c1", "email": "aino@example.fi", "accepts_marketing": True}
    nothing = {
        "transactional": {"email": False, "sms": False, "push": False},
        "marketing": {"email": False, "sms": True, "push": False},
    }
    paid = decide_now(event("order.paid"), profile, nothing)
    assert all(d.request is None for d in paid)  # switched off is respected
    reminder = decide_now(event("checkout.abandoned"), profile, nothing)
    assert all(d.request is None for d in reminder)  # marketing never falls back
