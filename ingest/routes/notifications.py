"""GET /notifications/{id} and GET /orders/{order}/notifications: what became of a shop's
messages, for its support tool, behind a bearer token (AFTERCART_API_TOKENS).

The answers are `aftercart explain --json`'s: each notification's state (a message that failed
never reads as sent) and every step of its life. They come from a `NotificationLookup` that the
composition root hands in (operate/follow.py follows the pipeline's topics); without API
tokens the routes are closed and nothing is followed.
"""

from __future__ import annotations

from typing import Any, Protocol

from ingest.tokens import BearerTokens
from ingest.web import Answer, Problem, Request
from runtime.settings import Settings

NOTIFICATIONS = "/notifications/"
ORDERS = "/orders/"
ORDER_SUFFIX = "/notifications"


class NotificationLookup(Protocol):
    """What the routes read; built from Kafka, not from a second database."""

    @property
    def waiting(self) -> str | None:
        """None once caught up with the topics; until then, what it is waiting for."""

    def notification(self, notification_id: str) -> dict[str, Any] | None:
        """One notification's life (None if nothing is known of it)."""

    def order(self, order: str) -> dict[str, Any] | None:
        """Every decision about an order and each of its notifications (None if unknown); the
        order named by id, by its id's last part, or by number (#1001 or 1001)."""

    async def start(self) -> None:
        """Begin following (in the background; `progress` tells when it has caught up)."""

    async def stop(self) -> None:
        """Stop following."""


class NotificationsApi:
    """The two read-only routes of a shop's support tool."""

    def __init__(self, settings: Settings, lookup: NotificationLookup | None) -> None:
        self.tokens = BearerTokens(settings.api_tokens)
        self.lookup = lookup

    async def notification(self, request: Request) -> Answer:
        """GET /notifications/{id}."""
        lookup = self._allowed(request)
        wanted = request.path.removeprefix(NOTIFICATIONS)
        found = lookup.notification(wanted)
        if found is None:
            raise Problem(404, f"nothing known about notification {wanted!r}")
        return Answer(200, found)

    async def order(self, request: Request) -> Answer:
        """GET /orders/{order}/notifications (an order id may carry slashes, sent as %2F)."""
        rest = request.path.removeprefix(ORDERS)
        wanted = rest.removesuffix(ORDER_SUFFIX)
        if wanted == rest or not wanted:
            raise Problem(404, f"no such endpoint: {request.path}")
        found = self._allowed(request).order(wanted)
        if found is None:
            raise Problem(404, f"nothing known about order {wanted!r}")
        return Answer(200, found)

    def _allowed(self, request: Request) -> NotificationLookup:
        if self.tokens.closed or self.lookup is None:
            raise Problem(401, "the notifications API is closed: AFTERCART_API_TOKENS is not set")
        if not self.tokens.allow(request.header("authorization")):
            raise Problem(401, "a valid bearer token is required (Authorization: Bearer ...)")
        waiting = self.lookup.waiting
        if waiting is not None:
            raise Problem(503, f"not ready yet: {waiting}")
        return self.lookup
