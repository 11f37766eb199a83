"""`aftercart render`: previews from sample data, and clear errors for what does not exist."""

from __future__ import annotations

import pytest

from aftercart.cli import main
from channels.preview import SAMPLES, PreviewError, languages, preview
from channels.render import Renderer


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


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
        "(GSM-7, 100 units, 1 segment)"
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
        ("order.paid", "fax", "en", "unknown channel 'fax'; choose from email, sms, push"),
        ("order.paid", "sms", "de", "no templates for language 'de'; choose from en, fi"),
        ("order.paid", "sms", "../en", "no templates for language"),
    ],
)
def test_what_cannot_be_previewed_is_named(
    event_type: str, channel: str, language: str, message: str
) -> None:
    with pytest.raises(PreviewError, match=message.replace("(", r"\(")):
        preview(event_type, channel, language)


def test_the_command_prints_the_preview(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "order.placed", "--channel", "sms", "--lang", "lv-LV"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Moomin Shop: Paldies! Jūsu pasūtījums #1001 (52,30 €)")
    assert "(UCS-2, " in out


def test_the_command_explains_an_unknown_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "order.placed", "--channel", "sms", "--lang", "xx"]) == 2
    assert "no templates for language 'xx'" in capsys.readouterr().err
