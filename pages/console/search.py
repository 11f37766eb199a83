"""Search: an order (number or id), a customer id or an email address, and its story as
`aftercart explain` tells it, each message with what the customer got: the email as rendered
(in a sandboxed frame that runs nothing and loads nothing), the SMS text, the push payload,
and the provider's receipts under it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from channels.errors import DeliveryError
from channels.render import Renderer
from channels.sms_segments import cost
from operate.explain import EVENT_WORDS, OUTCOME_WORDS
from pages.console.layout import HOME, e
from schemas.codec import InvalidMessage, decode_notification
from schemas.notification import NotificationRequest

PATH = f"{HOME}/search"
Request = Callable[[str], bytes | None]  # notification id: the request kept, if any


def form(q: str) -> str:
    """The search box."""
    return (
        f'<form method="get" action="{PATH}" class="inline" role="search">'
        "<label>Order number or id, customer id or email"
        f'<input type="search" name="q" value="{e(q)}" required></label>'
        '<button type="submit">Search</button></form>'
    )


def results(q: str, found: dict[str, Any] | None, request: Request, renderer: Renderer) -> str:
    """The story found for `q`, or a line saying nothing is known."""
    if found is None:
        return f'<p class="banner warn" role="status">Nothing is known about {e(q)}.</p>'
    customers = ", ".join(found.get("customers") or []) or "unknown"
    parts = [f"<p>{len(found['events'])} events; customer {e(customers)}.</p>"]
    for event in found["events"]:
        parts.append(_event(event, request, renderer))
    return "".join(parts)


def _event(event: dict[str, Any], request: Request, renderer: Renderer) -> str:
    what = EVENT_WORDS.get(event["event_type"], event["event_type"])
    order = f", order {event['order_number']}" if event.get("order_number") else ""
    replay = f" (decided again by replay {event['replay']})" if event.get("replay") else ""
    head = (
        f"<h2>{e(event['event_time'][:19].replace('T', ' '))} · {e(what)}{e(order)}{e(replay)}</h2>"
    )
    said = ""
    if event.get("outcome"):
        said = f"<p>{e(OUTCOME_WORDS[event['outcome']])}: {e(event.get('reason') or '')}</p>"
    channels = "".join(_channel(c, request, renderer) for c in event["channels"])
    return f"<section>{head}{said}{channels}</section>"


def _channel(outcome: dict[str, Any], request: Request, renderer: Renderer) -> str:
    channel, nid = outcome["channel"], outcome.get("notification_id")
    if outcome["outcome"] != "sent" or not nid:
        words = OUTCOME_WORDS[outcome["outcome"]]
        why = f": {outcome['reason']}" if outcome.get("reason") else ""
        return f'<p class="message"><b>{e(channel)}</b> {e(words)}{e(why)}</p>'
    steps = "".join(
        f"<li>{e(_moment(s['at']))} {e(s['kind'])}"
        f"{': ' + e(s['detail']) if s.get('detail') else ''}</li>"
        for s in outcome.get("steps", [])
    )
    state = f"<b>{e(channel)}</b> {e(outcome.get('state', 'pending'))} · notification {e(nid)}"
    shown = _shown(channel, request(nid), renderer)
    return f'<div class="message"><p>{state}</p>{shown}<ul class="timeline">{steps}</ul></div>'


def _shown(channel: str, value: bytes | None, renderer: Renderer) -> str:
    """What the customer got on this channel, rendered as the worker renders it."""
    if value is None:
        return '<p class="note">The message itself is no longer kept in memory.</p>'
    try:
        return message_html(decode_notification(value), renderer)
    except InvalidMessage as exc:
        return f'<p class="banner warn">It cannot be read: {e(exc)}</p>'


def message_html(req: NotificationRequest, renderer: Renderer) -> str:
    """A request rendered as its channel's worker renders it: the email in a sandboxed frame
    (no script runs, nothing loads), the SMS text, the push payload."""
    try:
        if req.channel == "email":
            email = renderer.email(req)
            return (
                f"<p>Subject: <b>{e(email.subject)}</b> · to {e(email.to)}</p>"
                f'<iframe class="email" sandbox="" title="The email as sent" '
                f'srcdoc="{e(email.html)}"></iframe>'
                f"<details><summary>Plain text</summary><pre>{e(email.text)}</pre></details>"
            )
        if req.channel == "sms":
            sms = renderer.sms(req)
            said = cost(sms.body)
            return (
                f"<p>To {e(sms.to)} ({said.segments} segment{'s' if said.segments > 1 else ''}, "
                f"{e(said.encoding)}):</p><pre>{e(sms.body)}</pre>"
            )
        push = renderer.push(req, ttl=0)
        payload = json.dumps(json.loads(push.payload), indent=2, ensure_ascii=False)
        return f"<p>Push payload ({len(push.payload):,} bytes):</p><pre>{e(payload)}</pre>"
    except DeliveryError as exc:
        return f'<p class="banner warn">It cannot be rendered: {e(exc)}</p>'


def _moment(iso: str) -> str:
    """An ISO time as the console prints it: to the second, with its zone."""
    at = datetime.fromisoformat(iso)
    zone = "UTC" if at.utcoffset() in (None, timedelta(0)) else at.isoformat()[-6:]
    return f"{at:%Y-%m-%d %H:%M:%S} {zone}"
