"""A small synchronous client for the sandbox's own routes (outbox, push subscribers, faults)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any, Unpack
from urllib.parse import urlencode

from sandbox.outbox import Selection


class SandboxClient:
    """Talks to a running sandbox: read its outbox, make test browsers, make providers fail."""

    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Call a sandbox route and decode its JSON answer (None when empty)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=self.timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def messages(
        self, *, fields: Sequence[str] | None = None, **selection: Unpack[Selection]
    ) -> list[dict[str, Any]]:
        """The outbox entries the selection picks, oldest first, optionally with only some of
        their fields (cheaper to poll)."""
        query: dict[str, Any] = {
            name: value for name, value in selection.items() if value is not None
        }
        if fields is not None:
            query["fields"] = ",".join(fields)
        return list(self.request("GET", f"/outbox?{urlencode(query)}")["messages"])

    def stats(self) -> dict[str, Any]:
        """Counts per channel and status, and the last seq (GET /outbox/stats)."""
        return dict(self.request("GET", "/outbox/stats"))

    def last_seq(self) -> int:
        """The seq of the newest outbox entry: pass it as since to see only what follows."""
        return int(self.stats()["last_seq"])

    def clear(self) -> None:
        """Empty the outbox (seq keeps counting)."""
        self.request("DELETE", "/outbox")

    def new_push_subscription(
        self, label: str | None = None, application_server_key: str | None = None
    ) -> dict[str, Any]:
        """A new test browser's PushSubscription JSON (endpoint and keys); with an application
        server key (base64url), only pushes signed with that VAPID key reach it."""
        options: dict[str, str] = {"label": label} if label else {}
        if application_server_key:
            options["applicationServerKey"] = application_server_key
        return dict(self.request("POST", "/push/subscribers", options))

    subscribe = new_push_subscription

    def unsubscribe(self, subscription: dict[str, Any]) -> None:
        """The browser drops the subscription; pushes to it then get 410 Gone."""
        subscriber_id = subscription["endpoint"].rsplit("/", 1)[1]
        self.request("DELETE", f"/push/subscribers/{subscriber_id}")

    def set_faults(self, channel: str, profile: dict[str, Any]) -> dict[str, Any]:
        """Make one channel (email, sms, push) misbehave; returns the profile as the sandbox has it.

        profile: {"errors": {"503": 0.05}, "rate_limit": 0.01, "retry_after_s": 1,
        "latency_ms": 0, "timeout": 0.0, "hang_s": 30, "seed": 7, "count": 1}; every field is
        optional (count: at most that many faults, then every request is answered).
        """
        try:
            return dict(self.request("PUT", f"/faults/{channel}", profile))
        except urllib.error.HTTPError as exc:
            if exc.code in (400, 404):  # the sandbox says what is wrong with the profile
                raise ValueError(json.loads(exc.read())["error"]) from None
            raise

    def clear_faults(self, channel: str | None = None) -> None:
        """One channel, or every channel when None, answers normally again."""
        self.request("DELETE", f"/faults/{channel}" if channel else "/faults")

    def faults(self) -> dict[str, Any]:
        """The fault profile of each channel that has one (GET /faults)."""
        return dict(self.request("GET", "/faults"))

    def wait_for(
        self,
        count: int,
        *,
        timeout: float = 10.0,
        fields: Sequence[str] | None = None,
        **selection: Unpack[Selection],
    ) -> list[dict[str, Any]]:
        """Poll until the selection picks at least count entries; raise TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(fields=fields, **selection)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(found)} of {count} outbox entries after {timeout} s")
            time.sleep(0.02)
