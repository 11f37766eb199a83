"""`aftercart render`: previews from sample data, and clear errors for what does not exist."""

from __future__ import annotations

import pytest

from aftercart.cli import main
from channels.preview import SAMPLES, PreviewError, languages, preview
from channels.render import Renderer
from runtime.brand import Brand


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(brand=Brand("Moomin Shop", "https://shop.example"))


@pytest.fixture(autouse=True)
def shop(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample shop, as `aftercart render` reads it from the environment."""
    monkeypatch.setenv("AFTERCART_SHOP_NAME", "Moomin Shop")
    monkeypatch.setenv("AFTERCART_SHOP_URL", "https://shop.example")


def test_every_language_with_templates_is_offered() -> None:
    assert languages() == ["en", "fi", "hu", "ja", "lv", "ro"]


@pytest.mark.parametrize("event_type", SAMPLES)
def test_every_sample_previews_on_every_channel(renderer: Renderer, event_type: str) -> None:
    for channel in ("email", "sms", "push"):
        assert preview(event_type, channel, "fi", renderer=renderer)


def test_email_preview_shows_subject_and_text_and_offers_the_html(renderer: Renderer) -> None:
    out = preview("order.paid", "email", "fi", renderer=renderer)
    assert out.startswith("Subject: Maksu vastaanotettu – tilaus #1001\n\nHei Aino,")  # noqa: RUF001 (the text's own typography)
    assert "52,30\xa0€" in out and "--html" in out
    html = preview("order.paid", "email", "fi", html=True, renderer=renderer)
    assert html.startswith("<!doctype html>") and '<html lang="fi">' in html


def test_sms_preview_shows_encoding_and_segments(renderer: Renderer) -> None:
    assert preview("order.placed", "sms", "fi", renderer=renderer).endswith(
        "Sait 52 pistettä. Kerromme, kun se on lähetetty.\n\n(GSM-7, 118 units, 1 segment)"
    )
    assert "(UCS-2, " in preview("order.placed", "sms", "ja", renderer=renderer)


def test_push_preview_shows_title_body_and_size(renderer: Renderer) -> None:
    out = preview("fulfillment.shipped", "push", "ja", renderer=renderer)
    assert out.startswith("Title: ご注文（#1001）を発送しました\n")  # noqa: RUF001 (the text's own typography)
    assert "of at most 3,993 bytes)" in out


@pytest.mark.parametrize(
    ("event_type", "channel", "language", "message"),
    [
        ("order.exploded", "email", "en", "unknown event type 'order.exploded'; choose from"),
        ("customer.upserted", "email", "en", "unknown event type"),
        ("checkout.abandoned", "email", "en", "choose from .*checkout.reminder, review.request"),
        ("order.paid", "fax", "en", "unknown channel 'fax'; choose from email, sms, push"),
        ("order.paid", "sms", "de", "no templates for language 'de'; choose from en, fi"),
        ("order.paid", "sms", "../en", "no templates for language"),
    ],
)
def test_what_cannot_be_previewed_is_named(
    event_type: str, channel: str, language: str, message: str
) -> None:
    with pytest.raises(PreviewError, match=message):
        preview(event_type, channel, language)


def test_the_command_prints_the_preview(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "order.placed", "--channel", "sms", "--lang", "lv-LV"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Moomin Shop: Paldies! Jūsu pasūtījums #1001 (52,30 €)")
    assert "(UCS-2, " in out


def test_the_command_previews_a_checkout_reminder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "checkout.reminder", "--channel", "sms", "--lang", "fi"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Moomin Shop: Hei Aino, jätit jotain ostoskoriisi (39,80 €).")
    assert "https://shop.example/checkout/chk-1 Peru viestit: vastaa STOP.\n" in out
    assert out.endswith("1 segment)\n")


def test_the_command_previews_a_review_request(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "review.request", "--channel", "email", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Subject: Aino, how do you like your order #1001?\n")
    assert "- Moomin mug\n- Sencha tea 100 g\n" in out
    assert "Write one here: https://shop.example/orders/ord-1/review" in out
    assert "Customers who bought this also bought:\n- Moomin plate\n" in out
    assert "because you agreed to receive offers from Moomin Shop" in out


def test_order_preview_shows_points_offer_and_suggestions(renderer: Renderer) -> None:
    out = preview("order.placed", "email", "en", renderer=renderer)
    assert "Welcome to Moomin Shop, and thank you for your first order!" in out
    assert "You earned 52 points with this order; your balance is 52 points." in out
    assert "10% off your next order with code THANKS10" in out
    assert "- Linen tea towel\n" in out


def test_the_command_explains_an_unknown_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "order.placed", "--channel", "sms", "--lang", "xx"]) == 2
    assert "no templates for language 'xx'" in capsys.readouterr().err
