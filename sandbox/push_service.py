"""The push service's half of web push (RFC 8030), answering like Mozilla's autopush."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from sandbox.faults import Fault, reason
from sandbox.outbox import new_message_id
from sandbox.push_browser import Subscriber, VapidRejected, b64url_decode
from sandbox.state import STATE, SandboxState

# RFC 8030 section 7.2: push services must take at least 4096 bytes; real ones stop there.
MAX_BODY = 4096
# RFC 8030 section 5.4: at most 32 characters of the URL- and filename-safe base64 alphabet.
TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")
ERRORS_URL = "https://mozilla-services.github.io/autopush-rs/errors.html"
_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    410: "Gone",
    413: "Payload Too Large",
}


def _error(status: int, errno: int | None, message: str) -> web.Response:
    body = {
        "code": status,
        "errno": errno,
        "error": _REASONS.get(status) or reason(status),
        "message": message,
        "more_info": ERRORS_URL,
    }
    return web.json_response(body, status=status)


def fault_response(fault: Fault) -> web.Response:
    """An injected fault as autopush answers it: no errno; 429 and 503 carry Retry-After."""
    response = _error(fault.status, None, reason(fault.status))
    if fault.status in (429, 503):
        response.headers["Retry-After"] = str(fault.retry_after_s)
    return response


async def create_subscriber(request: web.Request) -> web.Response:
    """POST /push/subscribers: a new test browser; answers its PushSubscription JSON."""
    state = request.app[STATE]
    options: Any = {}
    if request.can_read_body:
        try:
            options = await request.json()
        except ValueError:
            return web.json_response({"error": "the body must be JSON"}, status=400)
    if not isinstance(options, dict):
        return web.json_response({"error": "the body must be a JSON object"}, status=400)
    label = options.get("label")
    server_key = options.get("applicationServerKey")
    try:
        key_bytes = b64url_decode(server_key) if isinstance(server_key, str) else None
    except ValueError:
        return web.json_response({"error": "applicationServerKey must be base64url"}, status=400)
    subscriber = state.subscribers.create(label if isinstance(label, str) else None, key_bytes)
    return web.json_response(subscriber.subscription(state.base_url), status=201)


async def delete_subscriber(request: web.Request) -> web.Response:
    """DELETE /push/subscribers/{id}: the browser unsubscribes; later pushes get 410."""
    removed = request.app[STATE].subscribers.remove(request.match_info["id"])
    return web.Response(status=204 if removed else 404)


async def push_message(request: web.Request) -> web.StreamResponse:
    """POST /push/{id}: deliver one encrypted message to a subscriber."""
    state = request.app[STATE]
    fault = await state.fault("push")
    if fault is not None:
        return fault_response(fault)
    subscriber_id = request.match_info["id"]
    subscriber = state.subscribers.get(subscriber_id)
    body = await request.read()
    refusal = _refusal(state, subscriber, request, body)
    if refusal is not None:
        label = subscriber.label if subscriber else None
        error = f"{refusal.status} {refusal.text}"
        state.outbox.record("push", "rejected", recipient=subscriber_id, label=label, error=error)
        return refusal
    assert subscriber is not None  # _refusal answers 410 for unknown subscribers
    message_id = new_message_id()
    _deliver(state, subscriber, body, message_id, request.headers.get("Topic"))
    location = f"{state.base_url}/push/{subscriber_id}/messages/{message_id}"
    return web.Response(status=201, headers={"Location": location, "TTL": request.headers["TTL"]})


def _refusal(
    state: SandboxState, subscriber: Subscriber | None, request: web.Request, body: bytes
) -> web.Response | None:
    # In the order a push service checks: subscription, protocol headers, VAPID, size.
    if subscriber is None:
        return _error(410, 103, "no such subscription")
    if not request.headers.get("TTL", "").isdigit():
        return _error(400, 111, "missing or invalid TTL header")
    encoding = request.headers.get("Content-Encoding", "").lower()
    if body and encoding != "aes128gcm":  # a push without a payload needs no encoding
        return _error(400, 110, "Content-Encoding must be aes128gcm")
    try:
        claims = state.vapid.verify(
            request.headers.get("Authorization"), request.headers.get("Crypto-Key")
        )
    except VapidRejected as exc:
        return _error(exc.status, 109, str(exc))
    if subscriber.application_server_key and claims.public_key != subscriber.application_server_key:
        return _error(403, 109, "the VAPID key is not the subscription's applicationServerKey")
    if len(body) > MAX_BODY:
        return _error(413, 104, f"body of {len(body)} bytes exceeds {MAX_BODY}")
    topic = request.headers.get("Topic")
    if topic is not None and not TOPIC.fullmatch(topic):
        return _error(400, None, "Topic must be at most 32 characters of base64url")
    return None


def _deliver(
    state: SandboxState, subscriber: Subscriber, body: bytes, message_id: str, topic: str | None
) -> None:
    # The push service has accepted the message; what follows happens in the browser, which drops
    # what it cannot decrypt without telling the sender (so the sender still sees 201). The
    # browser is always online here, so no message waits that a later one of its topic could
    # replace: the topic is recorded, and a second arrival shows as a second entry.
    fields: dict[str, Any] = {
        "recipient": subscriber.id,
        "label": subscriber.label,
        "provider_id": message_id,
        "topic": topic,
    }
    try:
        plaintext = subscriber.decrypt(body) if body else b""
    except ValueError as exc:
        state.outbox.record("push", "rejected", error=str(exc), **fields)
        return
    payload: Any
    try:
        payload = json.loads(plaintext)
    except ValueError:
        payload = plaintext.decode("utf-8", errors="replace")
    if isinstance(payload, dict):
        fields.update(
            notification_id=_text(payload.get("notification_id")),
            subject=_text(payload.get("title")),
            text=_text(payload.get("body")),
        )
    state.outbox.record("push", "accepted", payload=payload, **fields)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
