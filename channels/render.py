"""Turns a NotificationRequest into an email, SMS or push message with Jinja2 templates.

Templates live in `templates/<language>/<template>.txt.j2` (blocks `subject`, `text`, `sms`,
`push_title`, `push_body`) and `<template>.html.j2` (the email HTML, autoescaped). A language
without its own template falls back to its base language ("fi-FI" -> "fi"), then to English.
`money()`, `number()`, `percent()` and `| day` write amounts, counts, percentages and days as
Babel does for that language; an SMS is made to fit two segments (`sms_segments`), a push
payload the 3,993 bytes a push message carries. Two optional blocks: `sms_optout`, the
closing sentence of a marketing SMS that no shortening may cut, and `push_url`, where the
notification leads when that is not the tracking, recovery or shop page.
What each template reads from the request's data: templates/README.md. The shop (`shop.name`,
`shop.logo_url`, ...) is the renderer's, from the settings (runtime/brand.py); a request's
data may still name it, key by key over those. The shop's own templates overlay the packaged
ones (channels/overlay.py); all are compiled once and kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    select_autoescape,
)

from channels.errors import MissingContact, RenderError, UnknownTemplate
from channels.formats import TEMPLATE_FILTERS, TEMPLATE_GLOBALS, link, locale_of
from channels.messages import EmailMessage, PushMessage, SmsMessage
from channels.overlay import PACKAGED, template_loader
from channels.sms_segments import fit_sms
from runtime.brand import Brand
from schemas.notification import NotificationRequest

TEMPLATES = PACKAGED
TEXT_BLOCKS = ("subject", "text", "sms", "push_title", "push_body")
SMS_OPTOUT = "sms_optout"
PUSH_URL = "push_url"
# RFC 8291: 4,096 bytes on the wire minus the aes128gcm header, padding and tag.
MAX_PUSH_PAYLOAD = 3_993
# A link longer than this would crowd out the text; the notification then opens nothing.
MAX_PUSH_URL = 2_048
_TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
# Names a plain dict answers as attributes (`.items`, `.get`): Jinja must keep finding those.
_DICT_ATTRIBUTES = frozenset(dir(dict))
_FOUND_LIMIT = 1024  # (language, template, kind) lookups kept; languages are open-ended
# Optional pieces leave blank lines behind in a text template; one is enough between paragraphs.
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n){2,}")


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


TEST_MARK = "[TEST] "
# A shop's own _words.j2 from before the preference line: English rather than nothing.
ENGLISH_PREFERENCES = "Choose which messages you get, and how:"


def _marked(req: NotificationRequest, text: str) -> str:
    """A test send's subject, SMS or push title starts with TEST_MARK; others are as written."""
    return TEST_MARK + text if req.test else text


class Renderer:
    """Renders requests with templates loaded once; share one instance per process."""

    def __init__(
        self,
        templates: Path = TEMPLATES,
        default_language: str = "en",
        *,
        overlay: Path | None = None,
        brand: Brand | None = None,
    ) -> None:
        self._env = _Environment(
            loader=template_loader(templates, overlay),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
            cache_size=-1,  # a plain dict: the templates are few and never reloaded
        )
        self._env.globals.update(TEMPLATE_GLOBALS)
        self._env.filters.update(TEMPLATE_FILTERS)
        self._shop = (brand or Brand()).for_templates()
        self._default = default_language
        self._found: dict[tuple[str, str, str], Template] = {}
        self._words: dict[str, str] = {}  # language: the preferences line's words

    def load(self, name: str) -> Template:
        """Compile one template file by its name (`en/order.placed.txt.j2`), once; a syntax
        error raises jinja2's TemplateSyntaxError with the file and line."""
        return self._env.get_template(name)

    def email(self, req: NotificationRequest) -> EmailMessage:
        """The email for this request: subject, plain text and HTML."""
        if not req.recipient.email:
            raise MissingContact("email", f"no email address for {req.notification_id}")
        data = self._data(req)
        blocks = self._blocks(req, data, ("subject", "text"))
        template = self._template(req, "html")
        try:
            html = template.render({**_context(req, template, data), **blocks})
        except _DATA_ERRORS as exc:
            raise _render_error(req, template, exc) from exc
        return EmailMessage(
            notification_id=req.notification_id,
            to=req.recipient.email,
            to_name=req.recipient.name or _full_name(req.data),
            subject=_marked(req, blocks["subject"]),
            text=blocks["text"] + self._preferences_line(template, data),
            html=html,
            customer_id=req.customer_id,
            unsubscribe_url=req.data.get("unsubscribe_url"),
        )

    def _preferences_line(self, template: Template, data: Mapping[str, Any]) -> str:
        """The text email's last line: where the customer chooses what they get, in the
        template's language (the HTML's layout says the same in its footer)."""
        url = link(data.get("preferences_url") or "")
        if not url:
            return ""
        language = str(template.name).split("/")[0]
        said = self._words.get(language)
        if said is None:
            words = self._env.get_template(f"{language}/_words.j2").module
            said = getattr(words, "preferences", None) or ENGLISH_PREFERENCES
            self._words[language] = said
        return f"\n\n{said} {url}"

    def sms(self, req: NotificationRequest) -> SmsMessage:
        """The SMS for this request, short enough for one or two segments."""
        if not req.recipient.phone:
            raise MissingContact("sms", f"no phone number for {req.notification_id}")
        template = self._template(req, "txt")
        data = self._data(req)

        def render(draft: Mapping[str, Any]) -> str:
            return _marked(req, self._render(req, template, draft, ("sms",))["sms"])

        ending = ""
        if SMS_OPTOUT in template.blocks:
            ending = self._render(req, template, data, (SMS_OPTOUT,))[SMS_OPTOUT]
        body = fit_sms(render, data, ending=ending)
        return SmsMessage(
            notification_id=req.notification_id,
            to=req.recipient.phone,
            body=body,
            customer_id=req.customer_id,
        )

    def push(self, req: NotificationRequest, ttl: int) -> PushMessage:
        """The web push for this request; its JSON payload fits a push message."""
        if req.recipient.push is None:
            raise MissingContact("push", f"no push subscription for {req.notification_id}")
        names: tuple[str, ...] = ("push_title", "push_body")
        if PUSH_URL in self._template(req, "txt").blocks:
            names += (PUSH_URL,)
        data = self._data(req)
        blocks = self._blocks(req, data, names)
        event = data.get("event") or {}
        shop = data["shop"]
        url = blocks.get(PUSH_URL) or event.get("tracking_url") or event.get("recovery_url")
        url = url or shop.get("url") or ""
        payload = {
            "notification_id": req.notification_id,
            "title": _marked(req, blocks["push_title"]),
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

    def _data(self, req: NotificationRequest) -> dict[str, Any]:
        """The request's data with the shop: the settings', under what the request names."""
        own = req.data.get("shop")
        return {**req.data, "shop": {**self._shop, **own} if own else self._shop}

    def _blocks(
        self, req: NotificationRequest, data: Mapping[str, Any], names: tuple[str, ...]
    ) -> dict[str, str]:
        """Render only the named blocks of the .txt template; all but `text` are one line."""
        return self._render(req, self._template(req, "txt"), data, names)

    def _render(
        self,
        req: NotificationRequest,
        template: Template,
        data: Mapping[str, Any],
        names: tuple[str, ...],
    ) -> dict[str, str]:
        missing = [b for b in names if b not in template.blocks]
        if missing:
            raise RenderError(req.channel, f"{template.name} lacks blocks {missing}")
        try:
            context = template.new_context(_context(req, template, data))
            out = {b: "".join(template.blocks[b](context)).strip() for b in names}
        except _DATA_ERRORS as exc:
            raise _render_error(req, template, exc) from exc
        return {b: _BLANK_LINES.sub("\n\n", v) if b == "text" else _line(v) for b, v in out.items()}

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


def _context(
    req: NotificationRequest, template: Template, data: Mapping[str, Any]
) -> dict[str, Any]:
    """The request's data, and the locale its template writes in (`language` is its tag)."""
    locale = locale_of(req.language, str(template.name).split("/")[0])
    language = req.language if locale.language == req.language.split("-")[0] else locale.language
    return {**data, "language": language, "locale": locale, "notification_id": req.notification_id}


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
    """Serialize the payload, cutting the body, then the title, then dropping the link."""
    raw = _dumps(payload)
    if len(payload["url"]) > MAX_PUSH_URL:
        payload, raw = {**payload, "url": ""}, _dumps({**payload, "url": ""})
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
