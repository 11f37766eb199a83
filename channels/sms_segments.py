"""What an SMS costs (GSM-7 or UCS-2, how many segments) and how to make one fit.

GSM 03.38 packs 160 septets into one SMS, or 153 per part of a longer one (the rest is the
concatenation header); characters from its extension table take an escape septet too. One
character outside GSM-7 turns the whole message into UCS-2: 70 UTF-16 units, 67 per part.
A part never splits an escape pair or a surrogate pair, so a part may hold one unit less.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

MAX_SEGMENTS = 2
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
# Look-alikes that would make an otherwise GSM-7 text UCS-2 for no visible gain.
_PLAIN = str.maketrans(
    {
        "\xa0": " ",  # Babel puts no-break spaces in amounts and dates
        "\u202f": " ",
        "\u2009": " ",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
    }
)
_LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True, slots=True)
class SmsCost:
    """How a text travels: its encoding, its length in that encoding's units and its parts."""

    encoding: Encoding
    units: int
    segments: int


def plain(text: str) -> str:
    """The text with typographic spaces, quotes, dashes and ellipses made plain."""
    return text.translate(_PLAIN)


def encoding(text: str) -> Encoding:
    """GSM-7 if every character is in the GSM-7 tables, else UCS-2."""
    return "GSM-7" if all(c in GSM7 or c in GSM7_EXTENSION for c in text) else "UCS-2"


def _widths(text: str, enc: Encoding) -> list[int]:
    """Units per character: escape pairs and surrogate pairs are two and stay together."""
    if enc == "GSM-7":
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def cost(text: str) -> SmsCost:
    """The encoding, units and segment count of the text as a carrier would send it."""
    enc = encoding(text)
    widths = _widths(text, enc)
    single, part = _LIMITS[enc]
    units = sum(widths)
    if units <= single:
        return SmsCost(enc, units, 1)
    segments, used = 1, 0
    for width in widths:
        if used + width > part:
            segments, used = segments + 1, 0
        used += width
    return SmsCost(enc, units, segments)


def segments(text: str) -> int:
    """How many SMS segments the text costs."""
    return cost(text).segments


def cut(text: str, max_segments: int = MAX_SEGMENTS, keep: str = "") -> str:
    """The longest prefix, ended at a word where one is near, that fits in max_segments;
    followed by `keep` (an opt-out sentence), which is never cut."""
    if segments(_joined(text, keep)) <= max_segments:
        return _joined(text, keep)
    lo, hi = 0, len(text)
    while lo < hi:  # the cost only grows with the prefix, so bisect its length
        mid = (lo + hi + 1) // 2
        if segments(_joined(_ended(text[:mid]), keep)) <= max_segments:
            lo = mid
        else:
            hi = mid - 1
    head = text[:lo]
    space = head.rfind(" ")
    return _joined(_ended(head[:space] if space > len(head) * 3 // 4 else head), keep)


def _ended(head: str) -> str:
    return head.rstrip(" ,;:-") + "."


def _joined(text: str, ending: str) -> str:
    return f"{text} {ending}" if text and ending else text or ending


def gsm_letters(text: str) -> str:
    """The text with Latin letters GSM-7 lacks written without their marks ('ș' -> 's',
    'ő' -> 'o'), if that makes all of it GSM-7; otherwise the text as it was."""
    out = []
    for c in text:
        if c in GSM7 or c in GSM7_EXTENSION:
            out.append(c)
            continue
        base = "".join(b for b in unicodedata.normalize("NFKD", c) if not unicodedata.combining(b))
        if not base or not all(b in GSM7 for b in base):
            return text
        out.append(base)
    return "".join(out)


Data = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Draft:
    """What the SMS is rendered from, and whether to spell it in GSM-7 letters only."""

    data: Data
    gsm_only: bool = False


def _with(data: Data, part: str, **changes: Any) -> Data:
    return {**data, part: {**(data.get(part) or {}), **changes}}


def _shorter_words(text: str, limit: int) -> str:
    """At most `limit` characters, cut after a whole word when there is one."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    return (head[:space] if space > 0 else head).rstrip(" ,.-:")


def drop_extras(draft: Draft) -> Draft:
    """Without the points this order earned: good news, but the first thing to give up."""
    return replace(draft, data=_with(draft.data, "customer", points_earned=None))


def trim_names(draft: Draft) -> Draft:
    """Shop name to 20 characters; a first name over 15 is left out rather than cut."""
    data = draft.data
    shop = data.get("shop") or {}
    first = (data.get("customer") or {}).get("first_name") or ""
    data = _with(data, "shop", name=_shorter_words(str(shop.get("name") or ""), 20))
    data = _with(data, "customer", first_name=first if len(first) <= 15 else None)
    return replace(draft, data=data)


def drop_details(draft: Draft) -> Draft:
    """Without the optional details: carrier, dates and reasons."""
    optional = ("carrier", "estimated_delivery", "new_estimated_delivery", "delivered_at", "reason")
    event = {k: v for k, v in (draft.data.get("event") or {}).items() if k not in optional}
    return replace(draft, data={**draft.data, "event": event})


def spell_gsm(draft: Draft) -> Draft:
    """Latin letters without the marks GSM-7 lacks: 160 characters a part instead of 70."""
    return replace(draft, gsm_only=True)


def drop_name(draft: Draft) -> Draft:
    """Without the first name, and the shop name as short as a sender ID (11 characters)."""
    shop = draft.data.get("shop") or {}
    data = _with(draft.data, "shop", name=_shorter_words(str(shop.get("name") or ""), 11))
    return replace(draft, data=_with(data, "customer", first_name=None))


def drop_tracking(draft: Draft) -> Draft:
    """Without the tracking link (only a link too long for an SMS gets this far)."""
    event = {k: v for k, v in (draft.data.get("event") or {}).items() if k != "tracking_url"}
    return replace(draft, data={**draft.data, "event": event})


# Shortest loss first: extras, names, details, diacritics, the name itself, the link.
STEPS: tuple[Callable[[Draft], Draft], ...] = (
    drop_extras,
    trim_names,
    drop_details,
    spell_gsm,
    drop_name,
    drop_tracking,
)


def fit_sms(
    render: Callable[[Data], str],
    data: Data,
    max_segments: int = MAX_SEGMENTS,
    *,
    ending: str = "",
) -> str:
    """Render the SMS and add `ending` (a marketing text's opt-out); while it costs more than
    max_segments, render it again from a shorter draft, and as a last resort cut the text
    itself, never the ending."""
    draft = Draft(data)
    text, end = _spelled(render(draft.data), ending, draft)
    for step in STEPS:
        if segments(_joined(text, end)) <= max_segments:
            return _joined(text, end)
        draft = step(draft)
        text, end = _spelled(render(draft.data), ending, draft)
    return cut(text, max_segments, keep=end)


def _spelled(text: str, ending: str, draft: Draft) -> tuple[str, str]:
    """Both parts made plain, and spelled in GSM-7 letters when the draft asks and both can."""
    text, ending = plain(text), plain(ending)
    if draft.gsm_only and encoding(gsm_letters(text + ending)) == "GSM-7":
        return gsm_letters(text), gsm_letters(ending)
    return text, ending
