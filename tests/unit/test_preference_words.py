"""The preference center's sentences and the email footer's preferences line, in every language:
the same keys and placeholders as the English, and no sentence left empty."""

from __future__ import annotations

import re

import jinja2
import pytest

from channels.render import TEMPLATES
from pages.preference_words import WORDS

LANGUAGES = ("en", "fi", "ro", "lv", "hu", "ja")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_the_page_speaks_every_language() -> None:
    assert set(WORDS) == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_exactly_the_english_keys(language: str) -> None:
    assert set(WORDS[language]) == set(WORDS["en"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sentence_keeps_the_english_placeholders(language: str) -> None:
    for key, english in WORDS["en"].items():
        text = WORDS[language][key]
        assert placeholders(text) == placeholders(english), (language, key)
        # No stray % either: the sentence formats with nothing but its own placeholders.
        text % dict.fromkeys(placeholders(text), "value")


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_sentence_is_empty(language: str) -> None:
    for key, text in WORDS[language].items():
        assert isinstance(text, str), (language, key)
        assert text.strip(), (language, key)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_email_footer_can_link_the_preferences(language: str) -> None:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES))
    words = environment.get_template(f"{language}/_words.j2").module
    for name in ("preferences", "preferences_link"):
        text = getattr(words, name, None)
        assert isinstance(text, str), (language, name)
        assert text.strip(), (language, name)
