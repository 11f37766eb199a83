"""Marketing messages: checkout reminders and review requests, and the way to stop them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_render import EVENTS, PERSONAL, request
from test_render_languages import LANGUAGES, STOP

from channels.render import Renderer
from channels.sms_segments import cut, fit_sms, segments

MARKETING = ("checkout.reminder", "review.request")
# Why the customer gets the email, and how to stop: without and with an unsubscribe link
WHY = {
    "en": "because you agreed to receive offers from Moomin Shop",
    "fi": "koska olet antanut kaupalle Moomin Shop luvan lähettää sinulle tarjouksia",
    "ro": "deoarece ați acceptat să primiți oferte de la Moomin Shop",
    "lv": "jo piekritāt saņemt piedāvājumus no veikala Moomin Shop",
    "hu": "mert hozzájárult, hogy ajánlatokat kapjon a következő webáruháztól: Moomin Shop",
    "ja": "Moomin Shopからのお得な情報の受け取りに同意いただいた",
}
STOP_BY_REPLY = {
    "en": "You can unsubscribe at any time: just reply to this email and ask.",
    "fi": "Voit perua tarjousviestit milloin tahansa vastaamalla tähän viestiin.",
    "ro": "Vă puteți dezabona oricând răspunzând la acest e-mail.",
    "lv": "Jūs jebkurā laikā varat atteikties, vienkārši atbildot uz šo e-pastu.",
    "hu": "Bármikor leiratkozhat: ehhez egyszerűen válaszoljon erre az e-mailre.",
    "ja": "配信を停止するには、このメールにご返信ください。",
}
UNSUBSCRIBE = PERSONAL["unsubscribe_url"]
REVIEW = PERSONAL["review_url"]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def _reminder(renderer: Renderer, language: str, number: int | None) -> dict[str, str]:
    extra = {} if number is None else {"reminder": number}
    req = request("checkout.reminder", language=language, extra=extra)
    email = renderer.email(req)
    push = json.loads(renderer.push(req, ttl=60).payload)
    return {
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "sms": renderer.sms(req).body,
        "push": push["title"] + " " + push["body"],
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_last_reminder_reads_differently_from_the_first(
    renderer: Renderer, language: str
) -> None:
    first, last = _reminder(renderer, language, 1), _reminder(renderer, language, 2)
    # then every channel words them differently, and both lead to the cart
    for part in first:
        assert first[part] != last[part], part
    for message in (first, last):
        assert EVENTS["checkout.reminder"]["recovery_url"] in message["sms"]
        assert "Moomin mug" in message["text"] and "Linen tee" in message["html"]
    # and a reminder without its number is the first one
    assert _reminder(renderer, language, None) == first


def test_reminder_wording_in_english(renderer: Renderer) -> None:
    first, last = _reminder(renderer, "en", 1), _reminder(renderer, "en", 2)
    assert first["subject"] == "Aino, you left something in your cart"
    assert last["subject"] == "Still thinking it over? Your cart is waiting"
    assert "Finish your order</a>" in first["html"] and "Back to your cart</a>" in last["html"]
    assert last["sms"].startswith("Moomin Shop: Still thinking it over, Aino? Your cart ($88.80)")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", MARKETING)
def test_marketing_says_why_and_how_to_stop_on_every_channel(
    renderer: Renderer, template: str, language: str
) -> None:
    req = request(template, language=language)
    email = renderer.email(req)
    # the email says why it came and how to unsubscribe: by reply, without a link
    for part in (email.text, email.html):
        assert WHY[language] in part and STOP_BY_REPLY[language] in part
    # the SMS ends with the opt-out keyword
    assert renderer.sms(req).body.endswith(STOP[language])
    # with an unsubscribe link, the email links it instead
    linked = renderer.email(request(template, language=language, extra=PERSONAL))
    assert f'<a href="{UNSUBSCRIBE}"' in linked.html
    assert UNSUBSCRIBE in linked.text and STOP_BY_REPLY[language] not in linked.text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", MARKETING)
def test_the_opt_out_survives_even_a_link_too_long_for_any_sms(
    renderer: Renderer, template: str, language: str
) -> None:
    # given links no SMS can carry: the text must be cut as a last resort
    huge = "https://shop.example/" + "x" * 400
    event = {**EVENTS[template], "recovery_url": huge}
    req = request(template, language=language, event=event, extra={"review_url": huge})
    # then it is, and the opt-out is still its end
    body = renderer.sms(req).body
    assert segments(body) <= 2 and huge not in body
    assert body.endswith(STOP[language]), body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", [t for t in EVENTS if t not in MARKETING])
def test_order_news_is_not_worded_as_marketing(
    renderer: Renderer, template: str, language: str
) -> None:
    req = request(template, language=language, extra=PERSONAL)
    email = renderer.email(req)
    assert WHY[language] not in email.html and UNSUBSCRIBE not in email.html
    assert not renderer.sms(req).body.endswith(STOP[language])


def test_a_javascript_unsubscribe_link_is_not_linked(renderer: Renderer) -> None:
    email = renderer.email(request("review.request", extra={"unsubscribe_url": "javascript:x()"}))
    assert "javascript:" not in email.html
    assert STOP_BY_REPLY["en"] in email.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_review_request_asks_about_the_items_and_links_the_review_page(
    renderer: Renderer, language: str
) -> None:
    req = request("review.request", language=language, extra=PERSONAL)
    email = renderer.email(req)
    assert f'href="{REVIEW}"' in email.html and REVIEW in email.text
    assert "Moomin mug" in email.text and "Linen tee" in email.html
    assert REVIEW in renderer.sms(req).body
    assert json.loads(renderer.push(req, ttl=60).payload)["url"] == REVIEW


@pytest.mark.parametrize(
    ("order", "number"),
    [
        ({"number": "#2002", "items": []}, "#2002"),  # the order's own number wins
        (None, "#1001"),  # else the delivered event's
    ],
)
def test_review_request_names_the_order(
    renderer: Renderer, order: dict[str, Any] | None, number: str
) -> None:
    email = renderer.email(request("review.request", extra={"order": order}))
    assert email.subject == f"Aino, how do you like your order {number}?"


def test_review_request_without_order_or_number_reads_naturally(renderer: Renderer) -> None:
    event = {k: v for k, v in EVENTS["review.request"].items() if k != "order_number"}
    req = request("review.request", first_name=None, event=event)
    email = renderer.email(req)
    assert email.subject == "How do you like your order?"
    assert email.text.startswith("Hi there,\n\nYour order arrived on November 26, 2025.")
    assert "How do you like what you bought?" not in email.text


def test_fit_keeps_the_ending_when_it_must_cut() -> None:
    # given a text that fits no SMS, and an opt-out it must end with
    def render(data: Any) -> str:
        return "Shop: " + "word " * 100

    text = fit_sms(render, {}, ending="Reply STOP to opt out.")
    # then the text is cut, and the ending is whole
    assert segments(text) == 2
    assert text.endswith("word. Reply STOP to opt out.")


def test_fit_spells_the_ending_like_the_text() -> None:
    # a Romanian text that fits only in GSM-7 letters: the ending is spelled the same way
    def render(data: Any) -> str:
        return "Bună ziua, coșul dumneavoastră vă așteaptă: https://shop.example/" + "c" * 60

    text = fit_sms(render, {}, ending="Pentru dezabonare, răspundeți STOP.")
    assert text.endswith(" Pentru dezabonare, raspundeti STOP.") and segments(text) == 2
    assert text.startswith("Buna ziua, cosul")


def test_cut_keeps_what_it_is_told_to() -> None:
    assert cut("short", keep="STOP") == "short STOP"
    assert cut("", keep="STOP") == "STOP"
    long = cut("ő" * 500, keep="Reply STOP")
    assert segments(long) == 2 and long.endswith(". Reply STOP")


def test_fit_drops_the_points_first() -> None:
    def render(data: Any) -> str:
        points = data["customer"].get("points_earned")
        extra = f" You earned {points} points." if points else ""
        return "Shop: " + "x" * 290 + extra

    data = {"customer": {"points_earned": 52}, "shop": {"name": "Shop"}}
    text = fit_sms(render, data)
    assert "points" not in text and text == "Shop: " + "x" * 290
