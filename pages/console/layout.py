"""The console's page shell: its navigation, a logout button, and small HTML helpers. Every
value is escaped; the only script is the console's own (/assets/console.js), which refreshes
parts of a page and is not needed to use it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from pages.forms import CSS

HOME = "/console"
SCRIPT = "/assets/console.js"
SECTIONS = (
    ("overview", HOME, "Overview"),
    ("search", f"{HOME}/search", "Search"),
    ("dead-letters", f"{HOME}/dead-letters", "Dead letters"),
    ("replay", f"{HOME}/replay", "Replay"),
    ("templates", f"{HOME}/templates", "Templates"),
)


def e(value: object) -> str:
    """Escaped for HTML text and attribute values."""
    return escape(str(value), quote=True)


def shell(title: str, body: str, *, nav: str = "") -> str:
    """A whole console page."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{e(title)} · aftercart console</title>'
        f'<link rel="stylesheet" href="{CSS}"><script src="{SCRIPT}" defer></script></head>'
        f'<body class="console">{nav}<main class="wide">{body}</main></body></html>'
    )


def page(title: str, body: str, *, active: str, csrf: str) -> str:
    """A page of a logged-in console: navigation, the section's title, its body."""
    links = "".join(
        f'<a href="{href}"{" aria-current=page" if name == active else ""}>{e(words)}</a>'
        for name, href, words in SECTIONS
    )
    logout = (
        f'<form method="post" action="{HOME}/logout">{hidden("csrf", csrf)}'
        '<button type="submit" class="link">Log out</button></form>'
    )
    nav = f'<nav aria-label="Console"><strong>aftercart</strong>{links}{logout}</nav>'
    return shell(title, f"<h1>{e(title)}</h1>{body}", nav=nav)


def hidden(name: str, value: str) -> str:
    """A hidden form field."""
    return f'<input type="hidden" name="{e(name)}" value="{e(value)}">'


def table(caption: str, heads: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A table of text cells (each escaped), or a line saying there is nothing."""
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
    if not body:
        return f'<p class="note">{e(caption)}: none.</p>'
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in heads)
    return (
        f'<table class="data"><caption>{e(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def banner(text: str, *, warn: bool = False) -> str:
    """A status line at the top of a page."""
    return f'<p class="banner{" warn" if warn else ""}" role="status">{e(text)}</p>'
