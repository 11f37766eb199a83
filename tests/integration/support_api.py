"""A shop's support tool on a stack's gateway: its notifications API, and a signed Twilio
status callback as Twilio would post it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from aftercart.stack import Stack
from bench.measure import wait_until
from ingest.receipts import twilio_signature

API_TOKEN = "support-tool-token"


def api_get(stack: Stack, path: str) -> httpx.Response:
    """GET a path of the notifications API with the support tool's token."""
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    return httpx.get(f"{stack.gateway_url}{path}", headers=headers, timeout=10)


def api_told(stack: Stack, path: str, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The API's answer on `path` once it is 200 and `until` holds (the gateway follows the
    topics, so what the workers wrote reaches it a moment later)."""
    told: dict[str, Any] = {}

    def there() -> bool:
        answer = api_get(stack, path)
        told.clear()
        told.update(answer.json() if answer.status_code == 200 else {})
        return bool(told) and until(told)

    wait_until(there, 30, f"GET {path} to tell it", stack.check)
    return told


def twilio_status(stack: Stack, notification_id: str, customer_id: str, status: str) -> None:
    """Twilio's status callback for one SMS, signed over the public URL, to the gateway."""
    query = urlencode({"notification_id": notification_id, "customer_id": customer_id})
    path = f"/receipts/twilio?{query}"
    params = {"MessageSid": f"SM{notification_id[:30]}", "MessageStatus": status}
    token = stack.settings.twilio_credentials[1].get_secret_value()
    signature = twilio_signature(
        stack.settings.public_url.rstrip("/") + path, sorted(params.items()), token
    )
    answer = httpx.post(
        f"{stack.gateway_url}{path}",
        data=params,
        headers={"X-Twilio-Signature": signature},
        timeout=10,
    )
    answer.raise_for_status()
