"""Turns a NotificationRequest into an email, SMS or push message with Jinja2 templates.

Templates live in `templates/<language>/<template>.txt.j2` (blocks `subject`, `text`, `sms`,
`push_title`, `push_body`) and `<template>.html.j2` (the email HTML, autoescaped). A language
without its own template falls back to its base language ("fi-FI" -> "fi"), then to English.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, MutableMapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    select_autoescape,
)

from channels.errors import MissingContact, RenderError, UnknownTemplate
from channels.messages import EmailMessage, PushMessage, SmsMessage
from schemas.notification import NotificationRequest

TEMPLATES = Path(__file__).parent / "templates"
TEXT_BLOCKS = ("subject", "text", "sms", "push_title", "push_body")
# RFC 8291: 4,096 bytes on the wire minus the aes128gcm header, padding and tag.
MAX_PUSH_PAYLOAD = 3_993
_TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")
# Names a plain dict answers as attributes (`.items`, `.get`): Jinja must keep finding those.
_DICT_ATTRIBUTES = frozenset(dir(dict))
_FOUND_LIMIT = 1024  # (language, template, kind) lookups kept; languages are open-ended


def money(amount: str, currency: str) -> str:
    """'49.90', 'EUR' -> '€49.90'; currencies without a common symbol read '49.90 SEK'."""
    symbol = _SYMBOLS.get(str(currency))
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def day(value: str) -> str:
    """An ISO date or timestamp as a short English day: 'Tue 25 Nov'."""
    try:
        when = datetime.fromisoformat(str(value)) if "T" in str(value) else None
        parsed = when.date() if when else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{parsed:%a} {parsed.day} {parsed:%b}"


def link(value: str) -> str:
    """The URL if it is http(s), else '' (no javascript: or data: links in messages)."""
    return str(value) if urlsplit(str(value)).scheme in ("http", "https") else ""


def sms_segments(text: str) -> int:
    """How many SMS segments the text costs: GSM-7 160/153 chars, else UCS-2 70/67 units."""
    if all(c in _GSM7 or c in _GSM7_EXTENDED for c in text):
        units = sum(2 if c in _GSM7_EXTENDED else 1 for c in text)
        single, multi = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def _line(text: str) -> str:
    """Collapse template whitespace (and any newline in data) to single spaces."""
    return " ".join(text.split())


class _Environment(Environment):
    """Jinja's Environment, minus two per-render costs that do not change the output."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        # Jinja gives each template a ChainMap over the environment's globals and copies it
        # into every new context; ours are all set before the first template loads, so one
        # flat dict holds the same names and copies several times faster.
        return {**self.globals, **(d or {})}

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Request data is plain dicts: `event.total` would first try getattr(), which fails
        # with a costly AttributeError for every name a dict does not have as an attribute.
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


class Renderer:
    """Renders requests with templates loaded once; share one instance per process."""

    def __init__(self, templates: Path = TEMPLATES, default_language: str = "en") -> None:
        self._env = _Environment(
            loader=FileSystemLoader(templates),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
            cache_size=-1,  # a plain dict: the templates are few and never reloaded
        )
        self._env.globals["money"] = money
        self._env.filters["day"] = day
        self._env.filters["link"] = link
        self._default = default_language
        self._found: dict[tuple[str, str, str], Template] = {}

    def email(self, req: NotificationRequest) -> EmailMessage:
        """The email for this request: subject, plain text and HTML."""
        if not req.recipient.email:
            raise MissingContact("email", f"no email address for {req.notification_id}")
        blocks = self._blocks(req, ("subject", "text"))
        template = self._template(req, "html")
        try:
            html = template.render({**_context(req), **blocks})
        except _DATA_ERRORS as exc:
            raise _render_error(req, template, exc) from exc
        return EmailMessage(
            notification_id=req.notification_id,
            to=req.recipient.email,
            to_name=req.recipient.name or _full_name(req.data),
            subject=blocks["subject"],
            text=blocks["text"],
            html=html,
        )

    def sms(self, req: NotificationRequest) -> SmsMessage:
        """The SMS for this request, short enough for one or two segments."""
        if not req.recipient.phone:
            raise MissingContact("sms", f"no phone number for {req.notification_id}")
        body = self._blocks(req, ("sms",))["sms"]
        return SmsMessage(notification_id=req.notification_id, to=req.recipient.phone, body=body)

    def push(self, req: NotificationRequest, ttl: int) -> PushMessage:
        """The web push for this request; its JSON payload fits a push message."""
        if req.recipient.push is None:
            raise MissingContact("push", f"no push subscription for {req.notification_id}")
        blocks = self._blocks(req, ("push_title", "push_body"))
        event = req.data.get("event") or {}
        shop = req.data.get("shop") or {}
        url = event.get("tracking_url") or event.get("recovery_url") or shop.get("url") or ""
        payload = {
            "notification_id": req.notification_id,
            "title": blocks["push_title"],
            "body": blocks["push_body"],
            "url": link(url),
            "tag": event.get("order_id") or event.get("checkout_id") or req.notification_id,
        }
        return PushMessage(
            notification_id=req.notification_id,
            subscription=req.recipient.push,
            payload=_fit_push(payload),
            ttl=ttl,
        )

    def _blocks(self, req: NotificationRequest, names: tuple[str, ...]) -> dict[str, str]:
        """Render only the named blocks of the .txt template; all but `text` are one line."""
        template = self._template(req, "txt")
        missing = [b for b in names if b not in template.blocks]
        if missing:
            raise RenderError(req.channel, f"{template.name} lacks blocks {missing}")
        try:
            context = template.new_context(_context(req))
            out = {b: "".join(template.blocks[b](context)).strip() for b in names}
        except _DATA_ERRORS as exc:
            raise _render_error(req, template, exc) from exc
        return {b: v if b == "text" else _line(v) for b, v in out.items()}

    def _template(self, req: NotificationRequest, kind: str) -> Template:
        """The template for the request's language, its base language or the default."""
        key = (req.language, req.template, kind)
        template = self._found.get(key)
        if template is None:
            # Templates ship with the code (auto_reload is off), so a fallback found once holds.
            template = self._find(req, kind)
            if len(self._found) >= _FOUND_LIMIT:
                self._found.clear()
            self._found[key] = template
        return template

    def _find(self, req: NotificationRequest, kind: str) -> Template:
        if not _TEMPLATE_NAME.match(req.template):
            raise UnknownTemplate(req.channel, f"invalid template name {req.template!r}")
        base = req.language.split("-")[0]
        for language in dict.fromkeys((req.language, base, self._default)):
            try:
                return self._env.get_template(f"{language}/{req.template}.{kind}.j2")
            except TemplateNotFound:
                continue
            except TemplateSyntaxError as exc:
                raise RenderError(req.channel, f"broken template: {exc}") from exc
        raise UnknownTemplate(req.channel, f"no {kind} template {req.template!r}")


def _context(req: NotificationRequest) -> dict[str, Any]:
    return {**req.data, "language": req.language, "notification_id": req.notification_id}


# Data a template needs but the request lacks makes the request undeliverable.
_DATA_ERRORS = (UndefinedError, TypeError, ValueError, KeyError)


def _render_error(req: NotificationRequest, template: Template, exc: Exception) -> RenderError:
    return RenderError(req.channel, f"{template.name}: {exc}")


def _full_name(data: Mapping[str, Any]) -> str | None:
    customer = data.get("customer") or {}
    parts = [customer.get("first_name"), customer.get("last_name")]
    return " ".join(p for p in parts if p) or None


# What json.dumps(payload, ensure_ascii=False, separators=...) does, without a new encoder per call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(payload: Mapping[str, str]) -> bytes:
    return _JSON.encode(payload).encode()


def _fit_push(payload: dict[str, str]) -> bytes:
    """Serialize the payload, cutting the body (then the title) until it fits."""
    raw = _dumps(payload)
    for key in ("body", "title"):
        if len(raw) <= MAX_PUSH_PAYLOAD:
            return raw
        text = payload[key]
        lo, hi = 0, len(text)
        while lo < hi:  # the longest prefix that still fits
            mid = (lo + hi + 1) // 2
            if len(_dumps({**payload, key: text[:mid].rstrip() + "…"})) <= MAX_PUSH_PAYLOAD:
                lo = mid
            else:
                hi = mid - 1
        payload = {**payload, key: text[:lo].rstrip() + "…" if lo else ""}
        raw = _dumps(payload)
    if len(raw) > MAX_PUSH_PAYLOAD:
        raise RenderError("push", f"push payload is {len(raw)} bytes even without text")
    return raw
