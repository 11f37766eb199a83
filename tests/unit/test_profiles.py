"""Contact details in the profile: phones a text message reaches, and the customer's zone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import phonenumbers
from deciding import decide_now
from hypothesis import given
from hypothesis import strategies as st

from schemas.codec import new_event
from schemas.events import (
    CheckoutUpdated,
    ContactFailed,
    CustomerUpserted,
    OrderPlaced,
    PreferencesUpdated,
)
from streams.contacts import TEXTABLE
from streams.profiles import (
    Profile,
    apply_contact,
    apply_contact_failed,
    apply_customer,
    apply_preferences,
)


def upserted(**fields: Any) -> CustomerUpserted:
    return CustomerUpserted.model_validate({"customer_id": "c1", **fields})


def placed(customer: dict[str, Any], country: str | None = None) -> OrderPlaced:
    item = {"sku": "MUG", "name": "Mug", "quantity": 1, "unit_price": "9.90"}
    data: dict[str, Any] = {
        "customer_id": "c1",
        "order_id": "o1",
        "order_number": "#1001",
        "currency": "EUR",
        "total": "9.90",
        "items": [item],
        "customer": customer,
    }
    if country:
        data["shipping_address"] = {"country_code": country}
    return OrderPlaced.model_validate(data)


def checkout(customer: dict[str, Any]) -> CheckoutUpdated:
    data = {"customer_id": "c1", "checkout_id": "k1", "currency": "EUR", "total": "9.90"}
    return CheckoutUpdated.model_validate({**data, "customer": customer})


def test_a_national_number_is_read_by_the_customers_country() -> None:
    profile = apply_customer(None, upserted(phone="040 123 4567", country_code="FI"))
    assert profile["phone"] == "+358401234567"
    assert "phone_invalid" not in profile


def test_a_number_in_international_form_needs_no_country() -> None:
    profile = apply_customer(None, upserted(phone="+36 20 123 4567"))
    assert profile["phone"] == "+36201234567"


def test_the_country_already_known_reads_a_later_national_number() -> None:
    known = apply_customer(None, upserted(country_code="RO"))
    assert apply_customer(known, upserted(phone="0721 234 567"))["phone"] == "+40721234567"


def test_a_landline_is_flagged_and_never_kept_as_the_phone() -> None:
    profile = apply_customer(None, upserted(phone="09 1234567", country_code="FI"))
    assert "phone" not in profile
    assert profile["phone_invalid"] == {"raw": "09 1234567", "reason": "not a mobile number"}


def test_an_invalid_new_number_drops_the_old_one() -> None:
    profile = apply_customer(None, upserted(phone="+358401234567"))
    profile = apply_customer(profile, upserted(phone="12345"))
    assert "phone" not in profile
    assert profile["phone_invalid"]["raw"] == "12345"


def test_a_later_valid_number_clears_the_flag() -> None:
    profile = apply_customer(None, upserted(phone="not a number"))
    profile = apply_customer(profile, upserted(phone="+81 90 1234 5678"))
    assert profile["phone"] == "+819012345678"
    assert "phone_invalid" not in profile


def test_a_national_number_flagged_for_want_of_a_country_reads_once_the_country_comes() -> None:
    profile = apply_customer(None, upserted(phone="2123 4567"))
    assert (
        profile["phone_invalid"]["reason"] == "national number and no known country to read it by"
    )
    profile = apply_customer(profile, upserted(country_code="LV"))
    assert profile["phone"] == "+37121234567"
    assert "phone_invalid" not in profile


def test_a_customer_whose_number_is_a_landline_gets_no_sms() -> None:
    profile = apply_customer(None, upserted(email="a@example.hu", phone="+36 1 234 5678"))
    prefs = apply_preferences(
        None,
        PreferencesUpdated.model_validate({"customer_id": "c1", "transactional": {"sms": True}}),
        datetime(2026, 12, 6, tzinfo=UTC),
    )
    event = new_event(
        "order.paid",
        {
            "order_id": "o1",
            "customer_id": "c1",
            "order_number": "#1",
            "currency": "HUF",
            "amount": "9900",
        },
        source="test",
    )
    now = datetime(2026, 11, 23, tzinfo=UTC)
    decisions = decide_now(event, profile, prefs, now)
    sms = next(d for d in decisions if d.channel == "sms")
    assert sms.request is None
    assert sms.suppressed


def test_an_order_reads_its_phone_by_the_shipping_country() -> None:
    profile = apply_contact(None, placed({"phone": "07400 123456"}, country="GB"))
    assert profile is not None
    assert profile["phone"] == "+447400123456"


def test_the_customers_own_country_reads_an_orders_phone_before_the_shipping_country() -> None:
    known = apply_customer(None, upserted(country_code="JP"))
    profile = apply_contact(known, placed({"phone": "090-1234-5678"}, country="GB"))
    assert profile is not None
    assert profile["phone"] == "+819012345678"


def test_an_orders_phone_never_overwrites_the_customers_own() -> None:
    known = apply_customer(None, upserted(phone="+358401234567"))
    assert apply_contact(known, placed({"phone": "+36201234567"})) is known


def test_an_orders_valid_phone_fills_in_for_a_flagged_one() -> None:
    flagged = apply_customer(None, upserted(phone="09 1234567", country_code="FI"))
    profile = apply_contact(flagged, placed({"phone": "040 1234567"}))
    assert profile is not None
    assert profile["phone"] == "+358401234567"
    assert "phone_invalid" not in profile


def test_the_same_invalid_phone_on_every_checkout_changes_nothing() -> None:
    first = apply_contact(None, checkout({"phone": "040 1234567"}))  # no country known
    assert first is not None
    assert "phone_invalid" in first
    assert apply_contact(first, checkout({"phone": "040 1234567"})) is first


def test_an_explicit_zone_wins_over_the_country() -> None:
    profile = apply_customer(None, upserted(timezone="America/Chicago", country_code="US"))
    assert (profile["timezone"], profile["timezone_source"]) == ("America/Chicago", "given")


def test_without_a_zone_the_countrys_is_derived() -> None:
    profile = apply_customer(None, upserted(country_code="HU"))
    assert (profile["timezone"], profile["timezone_source"]) == ("Europe/Budapest", "country")


def test_a_zone_iana_does_not_know_is_not_kept() -> None:
    profile = apply_customer(None, upserted(timezone="Finland/Helsinki", country_code="FI"))
    assert profile["timezone"] == "Europe/Helsinki"
    assert apply_customer(None, upserted(timezone="Finland/Helsinki")).get("timezone") is None


def test_without_a_zone_or_country_there_is_none_and_the_shop_default_applies() -> None:
    assert "timezone" not in apply_customer(None, upserted(email="a@example.com"))


def test_a_derived_zone_follows_the_country_but_a_given_one_stays() -> None:
    derived = apply_customer(None, upserted(country_code="FI"))
    assert apply_customer(derived, upserted(country_code="JP"))["timezone"] == "Asia/Tokyo"
    given = apply_customer(None, upserted(timezone="Europe/Riga", country_code="LV"))
    moved = apply_customer(given, upserted(country_code="JP"))
    assert moved["timezone"] == "Europe/Riga"
    assert apply_customer(given, upserted(email="x@example.lv"))["timezone"] == "Europe/Riga"


def test_a_zone_stored_before_sources_were_kept_counts_as_given() -> None:
    legacy: Profile = {"customer_id": "c1", "timezone": "Asia/Tokyo", "push_subscriptions": []}
    assert apply_customer(legacy, upserted(country_code="FI"))["timezone"] == "Asia/Tokyo"


def test_an_order_gives_a_zone_from_its_shipping_country_when_none_is_known() -> None:
    profile = apply_contact(None, placed({"email": "a@example.ro"}, country="RO"))
    assert profile is not None
    assert (profile["timezone"], profile["timezone_source"]) == ("Europe/Bucharest", "country")


def test_an_orders_shipping_country_leaves_a_known_zone_alone() -> None:
    known = apply_customer(None, upserted(timezone="Asia/Tokyo", first_name="Ana"))
    assert apply_contact(known, placed({"first_name": "Ana"}, country="RO")) is known


def test_the_profile_survives_a_json_round_trip() -> None:
    profile = apply_customer(None, upserted(phone="09 1234567", country_code="FI"))
    assert json.loads(json.dumps(profile)) == profile


@given(
    st.one_of(st.text(max_size=30), st.from_regex(r"\+?[0-9 ()-]{3,18}", fullmatch=True)),
    st.sampled_from([None, "FI", "HU", "LV", "RO", "JP", "GB", "US"]),
)
def test_whatever_the_shop_sends_the_phone_kept_is_a_reachable_e164_number(
    raw: str, country: str | None
) -> None:
    profile = apply_customer(None, upserted(phone=raw, country_code=country))
    assert ("phone" in profile) != ("phone_invalid" in profile)
    if "phone" in profile:
        number = phonenumbers.parse(profile["phone"])
        assert (
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            == (profile["phone"])
        )
        assert phonenumbers.number_type(number) in TEXTABLE


def failed(action: str, channel: str, address: str) -> ContactFailed:
    return ContactFailed.model_validate(
        {
            "customer_id": "c1",
            "channel": channel,
            "action": action,
            "address": address,
            "reason": "provider said so",
        }
    )


def test_a_stop_by_sms_switches_sms_off_for_everything() -> None:
    profile = {"customer_id": "c1", "phone": "+358401234567"}
    _, prefs = apply_contact_failed(
        profile, {"transactional": {"sms": True}}, failed("opted_out", "sms", "+358401234567")
    )
    assert prefs == {"transactional": {"sms": False}, "marketing": {"sms": False}}


def test_a_stop_from_another_number_than_the_customers_switches_nothing_off() -> None:
    # Given a customer texted at one number, who chose order news by SMS
    profile = {"customer_id": "c1", "phone": "+358401234567"}
    prefs = {"transactional": {"sms": True}}
    # When a STOP arrives naming another number (an old one, or a forged receipt), or the
    # customer has no number at all
    for known, address in [(profile, "+358409999999"), (None, "+358401234567")]:
        _, said = apply_contact_failed(known, prefs, failed("opted_out", "sms", address))
        # Then SMS stays on
        assert said == prefs


def test_contact_points_that_failed_are_not_used_again_until_the_shop_gives_new_ones() -> None:
    profile = {
        "customer_id": "c1",
        "email": "a@example.fi",
        "phone": "+358401234567",
        "push_subscriptions": [{"endpoint": "https://push.example/1", "keys": {}}],
    }
    for action, channel, address in [
        ("invalid", "sms", "+358401234567"),
        ("gone", "push", "https://push.example/1"),
        ("bounced", "email", "a@example.fi"),
    ]:
        profile, _ = apply_contact_failed(profile, None, failed(action, channel, address))  # type: ignore[assignment]
    assert "phone" not in profile and profile["push_subscriptions"] == []
    event = new_event(
        "order.paid",
        {
            "order_id": "o1",
            "customer_id": "c1",
            "order_number": "#1",
            "currency": "EUR",
            "amount": "1",
        },
        source="test",
    )
    email = next(d for d in decide_now(event, profile, None) if d.channel == "email")
    assert email.request is None
    assert email.suppressed == "the email address cannot be used (provider said so)"
    renewed = apply_customer(profile, upserted(email="new@example.fi"))
    assert next(d for d in decide_now(event, renewed, None) if d.channel == "email").request


def test_news_about_an_old_address_changes_nothing() -> None:
    profile = {"customer_id": "c1", "email": "new@example.fi"}
    again, _ = apply_contact_failed(profile, None, failed("bounced", "email", "old@example.fi"))
    assert again == profile
