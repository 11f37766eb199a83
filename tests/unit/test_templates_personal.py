"""Personal touches: names, points, tier, a thank-you offer and "bought together" suggestions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_render import EVENTS, PERSONAL, request

from channels.formats import number, percent
from channels.render import Renderer

LANGUAGES = ("en", "fi", "ro", "lv", "hu", "ja")
# Where the offer and the suggestions belong; every other template leaves them out.
OFFER_IN = ("order.placed", "fulfillment.delivered")
ALSO_BOUGHT_IN = ("order.placed", "fulfillment.delivered", "review.request")
ALSO_BOUGHT_TITLE = {
    "en": "Customers who bought this also bought",
    "fi": "Tämän ostaneet ostivat myös",
    "ro": "Clienții care au cumpărat acest produs au cumpărat și",
    "lv": "Pircēji, kas iegādājās šo preci, iegādājās arī",
    "hu": "Akik ezt megvették, ezeket is vásárolták",
    "ja": "この商品を購入したお客様はこちらも購入しています",
}
# "You earned 88 points; your balance is 1,234", as each language writes the two numbers
POINTS = {
    "en": ("88 points", "1,234 points"),
    "fi": ("88 pistettä", "1\xa0234"),
    "ro": ("88", "1.234"),
    "lv": ("88", "1\xa0234"),
    "hu": ("88 pontot", "1\xa0234 pont"),
    "ja": ("88ポイント", "1,234ポイント"),
}
OFFER = {
    "en": "10% off your next order with code THANKS10",
    "fi": "10\xa0% alennusta seuraavasta tilauksestasi koodilla THANKS10",
    "ro": "o reducere de 10\xa0% la următoarea comandă cu codul THANKS10",
    "lv": "10% atlaide nākamajam pasūtījumam ar kodu THANKS10",
    "hu": "10% kedvezményt adunk következő rendeléséből ezzel a kóddal: THANKS10",
    "ja": "10%オフのクーポンコード「THANKS10」",
}
SILVER = {
    "en": "Silver",
    "fi": "Hopea",
    "ro": "Argint",
    "lv": "Sudrabs",
    "hu": "Ezüst",
    "ja": "シルバー",
}
SUGGESTED = [p["name"] for p in PERSONAL["recommendations"]]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def _everything(renderer: Renderer, template: str, language: str, extra: dict[str, Any]) -> dict:
    req = request(template, language=language, extra=extra)
    email = renderer.email(req)
    return {
        "text": email.text,
        "html": email.html,
        "sms": renderer.sms(req).body,
        "push": json.loads(renderer.push(req, ttl=60).payload)["body"],
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", EVENTS)
def test_suggestions_and_offer_only_in_the_emails_they_belong_to(
    renderer: Renderer, template: str, language: str
) -> None:
    # given a first-time buyer with an offer and three suggestions
    out = _everything(renderer, template, language, PERSONAL)
    # then the emails that carry them show them, in the language; SMS and push never do
    for part in ("text", "html"):
        shown = [name in out[part] for name in SUGGESTED]
        assert shown == [template in ALSO_BOUGHT_IN] * 3, (part, shown)
        assert (ALSO_BOUGHT_TITLE[language] in out[part]) is (template in ALSO_BOUGHT_IN)
        assert (OFFER[language] in out[part]) is (template in OFFER_IN), part
    for part in ("sms", "push"):
        assert "THANKS10" not in out[part]
        assert not any(name in out[part] for name in SUGGESTED)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", ALSO_BOUGHT_IN)
@pytest.mark.parametrize(
    "absent",
    [{}, {"offer": None, "recommendations": None}, {"offer": {}, "recommendations": []}],
    ids=["missing", "null", "empty"],
)
def test_no_suggestions_or_offer_when_there_are_none(
    renderer: Renderer, template: str, language: str, absent: dict[str, Any]
) -> None:
    out = _everything(renderer, template, language, absent)
    for part in ("text", "html"):
        assert ALSO_BOUGHT_TITLE[language] not in out[part]
        assert "THANKS10" not in out[part] and "<ul" not in out[part].replace("<ul>", "")
        assert "None" not in out[part]


def test_at_most_three_suggestions(renderer: Renderer) -> None:
    many = [{"sku": f"S-{n}", "name": f"Suggestion {n}"} for n in range(1, 6)]
    email = renderer.email(request("order.placed", extra={"recommendations": many}))
    assert "Suggestion 3" in email.html and "Suggestion 4" not in email.html
    assert "- Suggestion 3\n" in email.text and "Suggestion 4" not in email.text


def test_a_suggestion_without_a_name_shows_its_sku(renderer: Renderer) -> None:
    extra = {"recommendations": [{"sku": "PLATE-3", "name": None}]}
    assert "- PLATE-3\n" in renderer.email(request("order.placed", extra=extra)).text


@pytest.mark.parametrize("language", LANGUAGES)
def test_order_confirmation_tells_the_points_earned_and_the_balance(
    renderer: Renderer, language: str
) -> None:
    out = _everything(renderer, "order.placed", language, PERSONAL)
    earned, balance = POINTS[language]
    for part in ("text", "html"):
        assert earned in out[part] and balance in out[part], part
        assert SILVER[language] in out[part]
    # and briefly in the push, which has room for it
    assert earned.split()[0].replace("ポイント", "") in out["push"]


@pytest.mark.parametrize(
    "customer",
    [
        {"loyalty_points": 1234},
        {"loyalty_points": 1234, "points_earned": 0},
        {"loyalty_points": None, "points_earned": 88},
        {"loyalty_points": 1234, "points_earned": None},
    ],
)
def test_no_points_sentence_without_points_earned_and_a_balance(
    renderer: Renderer, customer: dict[str, Any]
) -> None:
    out = _everything(renderer, "order.placed", "en", {"customer": customer})
    for part in ("text", "html"):
        assert "points" not in out[part] and "None" not in out[part]
    # SMS and push say only what this order earned, so they need no balance
    says = (customer.get("points_earned") or 0) > 0
    assert ("You earned 88 points." in out["sms"]) is says
    assert ("You earned 88 points." in out["push"]) is says


def test_sms_says_the_points_when_they_fit(renderer: Renderer) -> None:
    req = request("order.placed", extra=PERSONAL)
    assert "You earned 88 points." in renderer.sms(req).body


def test_sms_gives_up_the_points_before_anything_else(renderer: Renderer) -> None:
    # given a shop name that makes the text UCS-2 and long: the points would take a third part
    req = request("order.placed", language="lv", extra=PERSONAL, shop_name="Ő Long Shop Name Ltd")
    body = renderer.sms(req).body
    assert "punkti" not in body
    assert body.startswith("Ő Long Shop Name Ltd: Paldies! Jūsu pasūtījums #1001")


@pytest.mark.parametrize(
    ("language", "first", "again"),
    [
        (
            "en",
            "Welcome to Moomin Shop, and thank you for your first order!",
            "shopping with us again",
        ),
        ("fi", "tervetuloa asiakkaaksemme", "kiva, että tilasit taas meiltä!"),
        ("ro", "vă mulțumim pentru prima comandă", "Ne bucurăm că ați comandat din nou"),
        ("lv", "paldies par Jūsu pirmo pasūtījumu", "atkal iepērkaties pie mums"),
        ("hu", "Köszönjük első rendelését", "ismét nálunk vásárolt"),
        ("ja", "初めてのご注文", "いつもMoomin Shopをご利用いただき"),
    ],
)
def test_first_order_is_welcomed_and_a_returning_customer_thanked(
    renderer: Renderer, language: str, first: str, again: str
) -> None:
    newcomer = {"customer": {"first_time_buyer": True, "order_count": 1}}
    regular = {"customer": {"first_time_buyer": False, "order_count": 7}}
    for extra, says, not_says in ((newcomer, first, again), (regular, again, first)):
        email = renderer.email(request("order.placed", language=language, extra=extra))
        assert says in email.text and says in email.html
        assert not_says not in email.text


def test_delivered_email_reminds_of_the_balance_and_tier(renderer: Renderer) -> None:
    email = renderer.email(request("fulfillment.delivered", extra=PERSONAL))
    assert "You have 1,234 loyalty points to use on your next order." in email.text
    assert "Your membership level: Silver." in email.text
    bare = renderer.email(
        request("fulfillment.delivered", extra={"customer": {"loyalty_points": 0}})
    )
    assert "points" not in bare.text


def test_a_tier_the_templates_do_not_know_is_shown_as_named(renderer: Renderer) -> None:
    extra = {"customer": {"loyalty_tier": "Platinum Plus"}}
    email = renderer.email(request("order.placed", language="fi", extra=extra))
    assert "Jäsentasosi: Platinum Plus." in email.text


def test_html_escapes_suggestions_offer_and_tier(renderer: Renderer) -> None:
    script = "<script>x()</script>"
    extra = {
        "customer": {"loyalty_points": 5, "points_earned": 5, "loyalty_tier": script},
        "offer": {"code": script, "percent": 10},
        "recommendations": [{"sku": "S-1", "name": script}],
    }
    html = renderer.email(request("order.placed", extra=extra)).html
    assert "<script>" not in html
    assert html.count("&lt;script&gt;x()&lt;/script&gt;") == 4  # tier, offer (twice), suggestion


@pytest.mark.parametrize(
    ("locale", "count", "share"),
    [
        ("en", "1,234,567", "12.5%"),
        ("fi", "1\xa0234\xa0567", "12,5\xa0%"),
        ("ro", "1.234.567", "12,5\xa0%"),
        ("lv", "1\xa0234\xa0567", "12,5%"),
        ("hu", "1\xa0234\xa0567", "12,5%"),
        ("ja", "1,234,567", "12.5%"),
    ],
)
def test_counts_and_percentages_are_written_as_the_locale_writes_them(
    locale: str, count: str, share: str
) -> None:
    assert number(1234567, locale) == count
    assert percent("12.5", locale) == share
    assert number("lots", locale) == "lots" and percent("some", locale) == "some%"
