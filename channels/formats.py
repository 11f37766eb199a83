"""How a message writes money, counts, percentages, days, links and colours in the customer's
language (Babel), and the template functions over them (channels/render.py registers them)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Final
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import pass_context
from jinja2.runtime import Context

from runtime.brand import DEFAULT_COLOUR

_CODE_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def money(amount: str, currency: str, locale: Locale | str = "en") -> str:
    """'52.30', 'EUR' as the locale writes it: en '€52.30', fi '52,30 €', hu '52,30 EUR'."""
    try:
        text = format_currency(Decimal(str(amount)), str(currency), locale=locale)
    except (InvalidOperation, ValueError, UnknownLocaleError):
        return f"{amount} {currency}"
    # CLDR's currency spacing, which Babel leaves out: 'SEK120.00' reads 'SEK 120.00'.
    return _CODE_DIGIT.sub("\xa0", text)


def day(value: str, locale: Locale | str = "en", form: str = "long") -> str:
    """An ISO date or timestamp as the locale writes a day: 'long' (fi '27. marraskuuta 2026',
    ja '2026年11月27日') or 'short' for SMS (en 'Nov 27', hu 'nov. 27.')."""
    try:
        when = datetime.fromisoformat(str(value)) if "T" in str(value) else None
        parsed = when.date() if when else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if form == "short":
        return format_skeleton("MMMd", parsed, locale=locale)
    return format_date(parsed, "long", locale=locale)


def number(value: int | str, locale: Locale | str = "en") -> str:
    """A count as the locale writes it: en '1,234', fi '1 234' (a no-break space)."""
    try:
        return format_decimal(Decimal(str(value)), locale=locale)
    except (InvalidOperation, ValueError, UnknownLocaleError):
        return str(value)


def percent(value: int | str, locale: Locale | str = "en") -> str:
    """A percentage (10 for 10 %) as the locale writes it: en '10%', fi '10 %'."""
    try:
        share = Decimal(str(value)) / 100
        return format_percent(share, locale=locale, decimal_quantization=False)
    except (InvalidOperation, ValueError, UnknownLocaleError):
        return f"{value}%"


def link(value: str) -> str:
    """The URL if it is http(s), else '' (no javascript: or data: links in messages)."""
    return str(value) if urlsplit(str(value)).scheme in ("http", "https") else ""


def colour(value: str) -> str:
    """A CSS colour '#rrggbb' as given, anything else the default (nothing else in a style)."""
    return str(value) if _COLOUR.match(str(value)) else DEFAULT_COLOUR


@lru_cache(maxsize=256)
def locale_of(language: str, template_language: str) -> Locale:
    """How to write numbers and days: the customer's language ('fi-FI' -> fi_FI) when the
    templates speak it, else the templates' own language, so an English text reads English."""
    if language.split("-")[0] == template_language:
        try:
            return Locale.parse(language, sep="-")
        except (UnknownLocaleError, ValueError):
            pass
    return Locale.parse(template_language)


# Babel formats a number in ~50 µs; a message formats the same amount in its subject, text and
# HTML, and a shop sells the same prices again and again: remember recent results.
_money_cached = lru_cache(maxsize=4096)(money)
_day_cached = lru_cache(maxsize=4096)(day)
_number_cached = lru_cache(maxsize=4096)(number)


@pass_context
def _money(context: Context, amount: str, currency: str) -> str:
    return _money_cached(str(amount), str(currency), context.get("locale") or "en")


# A shared macro imported without the caller's context (importing with it costs ~25 µs a
# message) is handed the locale instead.
@pass_context
def _number(context: Context, value: int | str, locale: Locale | None = None) -> str:
    return _number_cached(str(value), locale or context.get("locale") or "en")


@pass_context
def _percent(context: Context, value: int | str, locale: Locale | None = None) -> str:
    return percent(value, locale or context.get("locale") or "en")


@pass_context
def _day(context: Context, value: str, form: str = "long") -> str:
    return _day_cached(str(value), context.get("locale") or "en", form)


# What templates call: `money(...)`, `number(...)`, `percent(...)` and the `day`, `link` and
# `colour` filters, each given the message's locale from its context.
TEMPLATE_GLOBALS: Final = {"money": _money, "number": _number, "percent": _percent}
TEMPLATE_FILTERS: Final = {"day": _day, "link": link, "colour": colour}
