"""The preference center's HTML: the page of choices and the short pages that say why not,
in the customer's language. Every value is escaped; no script; one stylesheet, the gateway's
own. Works without JavaScript (plain form posts) and at a phone's width."""

from __future__ import annotations

from html import escape

from babel.dates import format_date

from pages.choices import Choices
from pages.forms import CSS
from pages.preference_words import WORDS
from schemas.topics import CHANNELS
from streams.news import NEWS


def language_for(*wanted: str) -> str:
    """The first of the languages named (a customer's "fi-FI", an Accept-Language header)
    the page speaks, by base language; English when none."""
    for given in wanted:
        for part in given.split(","):
            base = part.split(";")[0].strip().split("-")[0].lower()
            if base in WORDS:
                return base
    return "en"


def _page(lang: str, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{escape(title)}</title>'
        f'<link rel="stylesheet" href="{CSS}"></head><body><main>{body}</main></body></html>'
    )


def message_page(lang: str, title: str, text: str, **values: str) -> str:
    """A short page: a title and one paragraph (keys of the words), values filled in."""
    w = WORDS[lang]
    shown = escape(w[text] % values if values else w[text])
    return _page(lang, w[title], f"<h1>{escape(w[title])}</h1><p>{shown}</p>")


def choices_page(
    lang: str,
    shop: str,
    choices: Choices,
    csrf: str,
    banner: str | None = None,
) -> str:
    """The page of choices; the forms post back to the page's own address."""
    w = WORDS[lang]
    title = w["title"] % {"shop": shop}
    said = f'<p class="banner" role="status">{escape(w[banner])}</p>' if banner else ""
    token = f'<input type="hidden" name="csrf" value="{escape(csrf, quote=True)}">'
    body = (
        f"<h1>{escape(title)}</h1>{said}<p>{escape(w['intro'] % {'shop': shop})}</p>"
        f'<form method="post">{token}<input type="hidden" name="action" value="save">'
        f"{_grid(w, choices)}{_quiet(w, choices)}{_pause(lang, w, choices)}"
        f'<button type="submit">{escape(w["save"])}</button></form>'
        f'<form method="post">{token}<input type="hidden" name="action" value="unsubscribe">'
        f"<fieldset><legend>{escape(w['unsubscribe_legend'])}</legend>"
        f'<p class="hint">{escape(w["unsubscribe_hint"])}</p>'
        f'<button type="submit" class="quiet">{escape(w["unsubscribe_all"])}</button>'
        "</fieldset></form>"
    )
    return _page(lang, title, body)


def _grid(w: dict[str, str], choices: Choices) -> str:
    heads = "".join(f'<th scope="col">{escape(w[c])}</th>' for c in CHANNELS)
    rows = []
    for news in NEWS:
        cells = []
        for channel in CHANNELS:
            name = f"{news}.{channel}"
            label = w["switch_label"] % {"category": w[news], "channel": w[channel]}
            checked = " checked" if (news, channel) in choices.on else ""
            cells.append(
                f'<td><input type="checkbox" id="{name}" name="{name}"{checked}>'
                f'<label for="{name}" class="visually-hidden">{escape(label)}</label></td>'
            )
        hint = escape(w[f"{news}_hint"])
        rows.append(
            f'<tr><th scope="row">{escape(w[news])}<span class="hint">{hint}</span></th>'
            f"{''.join(cells)}</tr>"
        )
    return (
        f"<table><caption>{escape(w['grid_caption'])}</caption>"
        f'<thead><tr><th scope="col">{escape(w["category"])}</th>{heads}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<p class="note">{escape(w["contact_note"])}</p>'
    )


def _quiet(w: dict[str, str], choices: Choices) -> str:
    start, end = choices.quiet
    return (
        f"<fieldset><legend>{escape(w['quiet_legend'])}</legend>"
        f'<p class="hint" id="quiet-hint">{escape(w["quiet_hint"])}</p><div class="times">'
        f'<label>{escape(w["quiet_from"])} <input type="time" name="quiet_start" '
        f'value="{start:%H:%M}" required aria-describedby="quiet-hint"></label>'
        f'<label>{escape(w["quiet_to"])} <input type="time" name="quiet_end" '
        f'value="{end:%H:%M}" required aria-describedby="quiet-hint"></label>'
        "</div></fieldset>"
    )


def _pause(lang: str, w: dict[str, str], choices: Choices) -> str:
    checked = " checked" if choices.paused_until else ""
    until = ""
    if choices.paused_until:
        day = format_date(choices.paused_until.date(), "long", locale=lang)
        until = f'<p class="hint">{escape(w["paused_until"] % {"date": day})}</p>'
    return (
        f'<fieldset><legend>{escape(w["offers"])}</legend><p class="check">'
        f'<input type="checkbox" id="pause" name="pause"{checked}>'
        f'<label for="pause">{escape(w["pause_label"])}</label></p>{until}</fieldset>'
    )
