"""Contact points made usable: phone numbers in E.164, and the customer's time zone.

Pure readings of what a shop sends; streams/profiles.py decides what the profile keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

import phonenumbers
import pytz
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

# A text message reaches these; where numbering cannot tell mobile from fixed (US, CA) we try.
TEXTABLE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


@dataclass(frozen=True)
class PhoneReading:
    """A raw number read: its E.164 form when a text message can reach it, else the reason not."""

    e164: str | None = None
    reason: str | None = None


def read_phone(raw: str, region: str | None) -> PhoneReading:
    """Read a number as the shop gave it; region (ISO 3166 alpha-2) reads the national forms."""
    try:
        number = phonenumbers.parse(raw, region.upper() if region else None)
    except NumberParseException as exc:
        if exc.error_type != NumberParseException.INVALID_COUNTRY_CODE:
            return PhoneReading(reason="not a phone number")
        if raw.lstrip().startswith("+"):
            return PhoneReading(reason="unknown country calling code")
        return PhoneReading(reason="national number and no known country to read it by")
    if not phonenumbers.is_valid_number(number):
        return PhoneReading(reason="not a valid number")
    if phonenumbers.number_type(number) not in TEXTABLE:
        return PhoneReading(reason="not a mobile number")
    return PhoneReading(e164=phonenumbers.format_number(number, PhoneNumberFormat.E164))


@cache
def _zones() -> frozenset[str]:
    # The host's /etc/localtime shows up as "localtime": it names no zone, it depends on the box.
    return frozenset(available_timezones()) - {"localtime", "posixrules", "Factory"}


def is_timezone(name: str) -> bool:
    """An IANA zone name the time zone database knows (case as IANA spells it)."""
    return name in _zones()


def country_timezone(country: str | None) -> str | None:
    """The time zone of a country (ISO 3166 alpha-2), or None when the country is unknown.

    A country with several zones gets the first one pytz lists (IANA zone.tab's order), which
    is not always where most people live: US gives America/New_York, RU Europe/Kaliningrad,
    AU Australia/Lord_Howe, BR America/Noronha. Only a timezone the shop gives is better.
    """
    if not country:
        return None
    try:
        zones = pytz.country_timezones[country]
    except KeyError:
        return None
    return next((zone for zone in zones if is_timezone(zone)), None)


def resolve_timezone(given: str | None, country: str | None) -> str | None:
    """A valid zone given explicitly wins, else the country's; None means the shop's default."""
    if given and is_timezone(given):
        return given
    return country_timezone(country)
