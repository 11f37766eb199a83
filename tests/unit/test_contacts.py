"""Reading phone numbers and time zones the way shops send them."""

from __future__ import annotations

import pytest

from streams.contacts import country_timezone, is_timezone, read_phone, resolve_timezone


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("040 1234567", "FI", "+358401234567"),
        ("+358 40 123 4567", None, "+358401234567"),
        ("00358 40 123 4567", "FI", "+358401234567"),
        ("06 20 123 4567", "HU", "+36201234567"),
        ("+36 30 123 4567", "GB", "+36301234567"),
        ("2123 4567", "LV", "+37121234567"),
        ("+371 2123 4567", None, "+37121234567"),
        ("0721 234 567", "RO", "+40721234567"),
        ("+40 721 234 567", None, "+40721234567"),
        ("090-1234-5678", "JP", "+819012345678"),
        ("+81 90 1234 5678", None, "+819012345678"),
        ("07400 123456", "GB", "+447400123456"),
        ("+44 7400 123456", "FI", "+447400123456"),
        ("(201) 555-0123", "US", "+12015550123"),  # US numbering cannot tell mobiles apart
        ("040 1234567", "fi", "+358401234567"),
    ],
)
def test_mobile_numbers_in_national_and_international_form_read_as_e164(
    raw: str, region: str | None, e164: str
) -> None:
    assert read_phone(raw, region).e164 == e164


@pytest.mark.parametrize(
    ("raw", "region", "reason"),
    [
        ("09 1234567", "FI", "not a mobile number"),  # Helsinki landline
        ("+36 1 234 5678", None, "not a mobile number"),  # Budapest landline
        ("+40 21 123 4567", None, "not a mobile number"),
        ("03-1234-5678", "JP", "not a mobile number"),  # Tokyo landline
        ("+44 20 7946 0958", None, "not a mobile number"),
        ("07700 900123", "GB", "not a valid number"),  # reserved for TV drama
        ("123", "FI", "not a valid number"),
        ("call me", "FI", "not a phone number"),
        ("040 1234567", None, "national number and no known country to read it by"),
        ("040 1234567", "XX", "national number and no known country to read it by"),
        ("+999 1234567", None, "unknown country calling code"),
    ],
)
def test_numbers_no_text_message_reaches_say_why(raw: str, region: str | None, reason: str) -> None:
    reading = read_phone(raw, region)
    assert reading.e164 is None
    assert reading.reason == reason


def test_a_country_with_one_zone_gives_that_zone() -> None:
    assert country_timezone("FI") == "Europe/Helsinki"
    assert country_timezone("JP") == "Asia/Tokyo"
    assert country_timezone("lv") == "Europe/Riga"


def test_a_country_with_several_zones_gives_the_first_listed() -> None:
    assert country_timezone("US") == "America/New_York"


def test_an_unknown_or_missing_country_gives_no_zone() -> None:
    assert country_timezone("XX") is None
    assert country_timezone(None) is None
    assert country_timezone("") is None


def test_an_explicit_zone_wins_over_the_country() -> None:
    assert resolve_timezone("America/Los_Angeles", "US") == "America/Los_Angeles"
    assert resolve_timezone("Europe/Helsinki", "HU") == "Europe/Helsinki"


def test_a_zone_iana_does_not_know_falls_back_to_the_country() -> None:
    assert resolve_timezone("Mars/Olympus_Mons", "RO") == "Europe/Bucharest"
    assert resolve_timezone("europe/helsinki", None) is None
    assert resolve_timezone("../../etc/passwd", None) is None
    assert resolve_timezone(None, None) is None


def test_zone_names_are_checked_against_the_database() -> None:
    assert is_timezone("UTC")
    assert is_timezone("Asia/Tokyo")
    assert not is_timezone("localtime")
    assert not is_timezone("")
