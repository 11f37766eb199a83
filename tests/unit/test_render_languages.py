"""Every event type on every channel in every language: words, amounts, days and limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_render import EVENTS, PERSONAL, request

from channels.formats import day, money
from channels.render import MAX_PUSH_PAYLOAD, TEMPLATES, TEXT_BLOCKS, Renderer
from channels.sms_segments import cost

LANGUAGES = ("en", "fi", "ro", "lv", "hu", "ja")
OPTIONAL = (
    "carrier",
    "tracking_number",
    "tracking_url",
    "order_number",
    "reason",
    "delivered_at",
    "recovery_url",
)
MARKETING = ("checkout.reminder", "review.request")
# Without and with what the stream processor adds when it knows it.
DATA = {"plain": {}, "personal": PERSONAL}
HOSTILE = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def test_every_language_has_every_template_and_block() -> None:
    for language in LANGUAGES:
        names = {p.name for p in (TEMPLATES / language).glob("*.j2")}
        expected = {f"{t}.{kind}.j2" for t in EVENTS for kind in ("txt", "html")}
        assert names - {"_layout.html.j2", "_words.j2"} == expected, language
        for template in EVENTS:
            source = (TEMPLATES / language / f"{template}.txt.j2").read_text()
            assert all(f"{{% block {b} %}}" in source for b in TEXT_BLOCKS), (language, template)
            html = (TEMPLATES / language / f"{template}.html.j2").read_text()
            assert html.startswith(f'{{% extends "{language}/_layout.html.j2" %}}')


@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", EVENTS)
def test_every_message_renders_in_the_customers_language(
    renderer: Renderer, template: str, language: str, data: str
) -> None:
    # given a request in this language, with or without the optional personal data
    req = request(template, language=language, extra=DATA[data])
    # when each channel renders it
    email = renderer.email(req)
    sms = renderer.sms(req).body
    push = renderer.push(req, ttl=60)
    # then each is in that language, and the limits hold
    assert f'<html lang="{language}">' in email.html
    assert email.subject and email.text and "Moomin Shop" in email.text
    order_number = EVENTS[template].get("order_number")
    if order_number:
        assert order_number in email.subject or order_number in email.text
    assert cost(sms).segments <= 2, sms
    assert len(push.payload) <= MAX_PUSH_PAYLOAD
    payload = json.loads(push.payload)
    assert payload["title"] and payload["body"]
    assert "None" not in email.text + email.html + sms + payload["body"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", EVENTS)
def test_optional_fields_may_all_be_missing(
    renderer: Renderer, template: str, language: str
) -> None:
    # given an event with nothing but its required fields
    event = {k: v for k, v in EVENTS[template].items() if k not in OPTIONAL}
    req = request(template, language=language, event=event, first_name=None)
    # then every channel still renders, without leftovers of the missing parts
    for text in (renderer.email(req).text, renderer.sms(req).body, renderer.push(req, 60).payload):
        assert text
        assert "None" not in str(text) and "#1001" not in str(text)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", EVENTS)
def test_html_escapes_hostile_names(renderer: Renderer, template: str, language: str) -> None:
    # given markup wherever a name, a code or a shop's name can be
    event = dict(EVENTS[template])
    if "items" in event:
        event["items"] = [{**EVENTS["order.placed"]["items"][0], "name": HOSTILE}]
    named = [{"sku": "X-1", "name": HOSTILE}]
    hostile = {
        "customer": {**PERSONAL["customer"], "loyalty_tier": HOSTILE},
        "offer": {"code": HOSTILE, "percent": 10},
        "recommendations": named,
        "order": {"number": HOSTILE, "items": named},
    }
    req = request(template, language=language, first_name=HOSTILE, event=event, extra=hostile)
    req.data["customer"]["last_name"] = HOSTILE
    req.data["shop"]["name"] = HOSTILE
    # then the HTML shows it as text, never as markup
    html = renderer.email(req).html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


LONG = {
    "first_name": "Maximiliana-Josefina-Alexandra",
    "shop_name": "Ő Long Shop Name Of Quite Remarkable Length, Purveyors Of Everything",
    "reason": "A very long explanation of what went wrong, in considerable detail " * 5,
    "carrier": "Deutsche Post DHL Group Express Worldwide",
    "tracking_url": "https://tracking.example/" + "x" * 120,
    "order_number": "#1001-2026-ABCDEFGH",
    # Shopify's recovery link, as its checkouts webhook gives it
    "recovery_url": "https://checkout.local/548380009/checkouts/123123123/recover?key=example-secret-token",
}
LONG_NAME = "Hand-thrown stoneware serving bowl with reactive glaze, extra large (Ø 32 cm)"
LONG_PERSONAL = {
    **PERSONAL,
    "customer": {**PERSONAL["customer"], "loyalty_points": 1_234_567, "points_earned": 123_456},
    "offer": {"code": "THANKYOU-FOR-YOUR-FIRST-ORDER-2026", "percent": 15},
    "recommendations": [{"sku": f"BOWL-{n}", "name": LONG_NAME} for n in range(3)],
    "order": {"number": LONG["order_number"], "items": [{"sku": "BOWL-9", "name": LONG_NAME}] * 5},
    "review_url": "https://shop.example/products/hand-thrown-stoneware-serving-bowl#write-a-review",
    "reminder": 2,
}
# "Reply STOP to opt out" in each language, as a marketing SMS must end (GSM-7 spelled or not)
STOP: dict[str, tuple[str, ...]] = {
    "en": ("Reply STOP to opt out.",),
    "fi": ("Peru viestit: vastaa STOP.",),
    "ro": ("Pentru dezabonare, răspundeți STOP.", "Pentru dezabonare, raspundeti STOP."),
    "lv": ("Lai atteiktos, atbildiet STOP.",),
    "hu": ("Leiratkozáshoz válaszoljon STOP szóval.", "Leiratkozashoz valaszoljon STOP szoval."),
    "ja": ("配信停止はSTOPと返信",),
}


def _long_event(template: str) -> dict[str, Any]:
    event = dict(EVENTS[template])
    for key in ("reason", "carrier", "tracking_url", "order_number", "recovery_url"):
        if key in event or (key == "carrier" and template.startswith("fulfillment")):
            event[key] = LONG[key]
    return event


@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", EVENTS)
def test_sms_with_long_data_stays_within_two_segments(
    renderer: Renderer, template: str, language: str, data: str
) -> None:
    req = request(
        template,
        language=language,
        first_name=LONG["first_name"],
        shop_name=LONG["shop_name"],
        event=_long_event(template),
        extra=LONG_PERSONAL if data == "personal" else {},
    )
    body = renderer.sms(req).body
    assert cost(body).segments <= 2, body
    assert body.strip()
    if template in MARKETING:
        # the opt-out survives any shortening, and the link the message is for stays whole
        assert body.endswith(STOP[language]), body
        assert f"{_link(template, data)} " in body, body


def _link(template: str, data: str) -> str:
    """Where a marketing SMS with long data leads: the cart, else the review page or shop."""
    if template == "checkout.reminder":
        return LONG["recovery_url"]
    return LONG_PERSONAL["review_url"] if data == "personal" else "https://shop.example"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", EVENTS)
def test_push_with_long_personal_data_fits(
    renderer: Renderer, template: str, language: str
) -> None:
    req = request(
        template,
        language=language,
        first_name=LONG["first_name"],
        shop_name=LONG["shop_name"],
        event=_long_event(template),
        extra=LONG_PERSONAL,
    )
    push = renderer.push(req, ttl=60)
    assert len(push.payload) <= MAX_PUSH_PAYLOAD
    payload = json.loads(push.payload)
    assert payload["title"] and payload["body"] and not payload["body"].endswith("…")


@pytest.mark.parametrize("language", LANGUAGES)
def test_sms_keeps_the_tracking_link_when_it_can(renderer: Renderer, language: str) -> None:
    req = request("fulfillment.shipped", language=language, shop_name=LONG["shop_name"])
    assert EVENTS["fulfillment.shipped"]["tracking_url"] in renderer.sms(req).body


@pytest.mark.parametrize("language", LANGUAGES)
def test_push_with_huge_data_fits(renderer: Renderer, language: str) -> None:
    event = {**EVENTS["fulfillment.delayed"], "reason": "ő" * 5000, "carrier": "あ" * 3000}
    event["tracking_url"] = "https://tracking.example/" + "x" * 5000
    req = request("fulfillment.delayed", language=language, first_name="Å" * 3000, event=event)
    push = renderer.push(req, ttl=60)
    assert len(push.payload) <= MAX_PUSH_PAYLOAD
    assert json.loads(push.payload)["title"]


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("52.30", "EUR", "en", "€52.30"),
        ("52.30", "EUR", "fi", "52,30\xa0€"),
        ("52.30", "EUR", "hu", "52,30\xa0EUR"),
        ("52.30", "EUR", "ro", "52,30\xa0EUR"),
        ("52.30", "EUR", "lv", "52,30\xa0€"),
        ("5230", "JPY", "ja", "￥5,230"),
        ("1234.50", "HUF", "hu", "1\xa0234,50\xa0Ft"),
        ("120.00", "SEK", "en", "SEK\xa0120.00"),
        ("not money", "EUR", "fi", "not money EUR"),
    ],
)
def test_money_is_written_as_the_locale_writes_it(
    amount: str, currency: str, locale: str, expected: str
) -> None:
    assert money(amount, currency, locale) == expected


@pytest.mark.parametrize(
    ("locale", "long", "short"),
    [
        ("en", "November 27, 2026", "Nov 27"),
        ("fi", "27. marraskuuta 2026", "27.11."),
        ("ro", "27 noiembrie 2026", "27 nov."),
        ("lv", "2026. gada 27. novembris", "27. nov."),
        ("hu", "2026. november 27.", "nov. 27."),
        ("ja", "2026年11月27日", "11月27日"),
    ],
)
def test_days_are_written_as_the_locale_writes_them(locale: str, long: str, short: str) -> None:
    assert day("2026-11-27", locale) == long
    assert day("2026-11-27T14:03:00Z", locale, "short") == short
    assert day("soon", locale) == "soon"


def test_regional_variant_uses_its_language_and_region(renderer: Renderer) -> None:
    # given a Finnish customer in Finland and one whose language has no templates
    fi = renderer.email(request("order.paid", language="fi-FI"))
    de = renderer.email(request("order.paid", language="de-DE"))
    # then fi-FI reads Finnish with Finnish amounts; de-DE reads English throughout
    assert fi.subject == "Maksu vastaanotettu – tilaus #1001"  # noqa: RUF001 (the text's own typography)
    assert "88,80\xa0€" in fi.text and '<html lang="fi-FI">' in fi.html
    assert de.subject == "Payment received for order #1001" and "€88.80" in de.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    language=st.sampled_from(LANGUAGES),
    template=st.sampled_from(sorted(EVENTS)),
    first_name=st.text(min_size=0, max_size=80),
    shop_name=st.text(min_size=1, max_size=80),
    amount=st.decimals(min_value=0, max_value=10**9, places=2).map(str),
    points=st.integers(min_value=0, max_value=10**9),
)
def test_any_names_and_amounts_fit_every_channel(
    language: str, template: str, first_name: str, shop_name: str, amount: str, points: int
) -> None:
    event = dict(EVENTS[template])
    for key in ("total", "amount"):
        if key in event:
            event[key] = amount
    req = request(
        template,
        language=language,
        first_name=first_name or None,
        shop_name=shop_name,
        event=event,
        extra={**PERSONAL, "customer": {"points_earned": points, "loyalty_points": points}},
    )
    renderer = _shared()
    assert cost(renderer.sms(req).body).segments <= 2
    assert len(renderer.push(req, ttl=60).payload) <= MAX_PUSH_PAYLOAD
    assert renderer.email(req).subject


_RENDERER: list[Renderer] = []


def _shared() -> Renderer:
    if not _RENDERER:
        _RENDERER.append(Renderer())
    return _RENDERER[0]
