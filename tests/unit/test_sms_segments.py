"""SMS cost: GSM-7 versus UCS-2, segments, and making a message fit two of them."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from channels.sms_segments import cost, cut, fit_sms, gsm_letters, plain, segments


def test_gsm7_fits_160_then_153_per_part() -> None:
    assert cost("a" * 160) == cost("a" * 160).__class__("GSM-7", 160, 1)
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3


def test_extension_characters_count_double() -> None:
    assert cost("€" * 80).units == 160 and segments("€" * 80) == 1
    assert segments("€" * 81) == 2
    assert cost("[]{}~|^\\").encoding == "GSM-7"


def test_one_character_outside_gsm7_makes_it_ucs2() -> None:
    # Finnish ä and ö are GSM-7; Latvian ā, Hungarian ő, Romanian ș and Japanese are not
    assert cost("Tilauksesi on lähetetty, kiitos ö").encoding == "GSM-7"
    for text in ("pasūtījums", "rendelése késik ő", "comanda expediată ș", "ご注文"):
        assert cost(text).encoding == "UCS-2", text
    assert segments("あ" * 70) == 1
    assert segments("あ" * 71) == 2
    assert segments("あ" * 134) == 2
    assert segments("あ" * 135) == 3


def test_a_part_never_splits_an_escape_or_surrogate_pair() -> None:
    # 306 septets would fill two parts, but the escape pair cannot start at the 153rd
    assert cost("a" * 152 + "€" + "a" * 152).units == 306
    assert segments("a" * 152 + "€" + "a" * 152) == 3
    assert segments("a" * 153 + "€" + "a" * 151) == 2
    assert segments("x" + "😀" * 33 + "あ" * 67) == 2  # 67 units, pair kept whole


def test_plain_makes_typography_gsm7() -> None:
    assert plain("52,30\xa0€ – “ok” …") == '52,30 € - "ok" ...'  # noqa: RUF001 (the text's own typography)
    assert cost(plain("52,30\xa0€")).encoding == "GSM-7"


def test_gsm_letters_only_when_it_makes_the_whole_text_gsm7() -> None:
    assert gsm_letters("Urmăriți coletul, ș ț") == "Urmariti coletul, s t"
    assert gsm_letters("Jūsu pasūtījums ő") == "Jusu pasutijums o"
    assert gsm_letters("ご注文 ā") == "ご注文 ā"  # Japanese stays UCS-2, so nothing changes


def test_cut_fits_and_ends_cleanly() -> None:
    text = "word " * 100
    short = cut(text)
    assert segments(short) == 2 and short.endswith(".")
    assert cut("short") == "short"
    assert segments(cut("ő" * 500)) == 2


def _render(data: Any) -> str:
    e, c = data["event"], data["customer"]
    name = f" {c['first_name']}" if c.get("first_name") else ""
    extra = f" Reason: {e['reason']}." if e.get("reason") else ""
    link = f" Track: {e['tracking_url']}" if e.get("tracking_url") else ""
    return f"{data['shop']['name']}: Hi{name}, order {e['order_number']} is late.{extra}{link}"


DATA = {
    "shop": {"name": "Shop"},
    "customer": {"first_name": "Aino"},
    "event": {"order_number": "#1", "tracking_url": "https://t.example/1"},
}


def test_fit_leaves_a_short_message_alone() -> None:
    assert fit_sms(_render, DATA) == "Shop: Hi Aino, order #1 is late. Track: https://t.example/1"


def test_fit_drops_details_before_the_link() -> None:
    # given a reason far too long for an SMS
    data = {**DATA, "event": {**DATA["event"], "reason": "storm " * 80}}
    # when
    text = fit_sms(_render, data)
    # then the reason goes, the name and the link stay
    assert text == "Shop: Hi Aino, order #1 is late. Track: https://t.example/1"


def test_fit_shortens_long_names() -> None:
    data = {
        "shop": {"name": "The Remarkably Long Shop Name " * 4},
        "customer": {"first_name": "Maximiliana-Josefina-" * 5},
        "event": {"order_number": "#1", "tracking_url": "https://t.example/" + "x" * 200},
    }
    text = fit_sms(_render, data)
    assert segments(text) <= 2
    assert text.startswith("The Remarkably Long: Hi, order #1")


@given(
    name=st.text(max_size=300),
    shop=st.text(min_size=1, max_size=300),
    number=st.text(min_size=1, max_size=300),
)
def test_fit_never_exceeds_two_segments(name: str, shop: str, number: str) -> None:
    data = {
        "shop": {"name": shop},
        "customer": {"first_name": name},
        "event": {"order_number": number},
    }
    assert segments(fit_sms(_render, data)) <= 2
