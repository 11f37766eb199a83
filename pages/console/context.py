"""What every console page works with: the settings, the pipeline's topics, who may come in,
what the gateway follows of the pipeline, and the clock; and how a page is answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl

from channels.render import Renderer
from ingest.web import Answer, Request
from operate.activity import Activity
from pages.console.auth import ConsoleAuth, Visitor
from pages.console.layout import page
from pages.forms import EMAIL_HEADERS, HEADERS
from runtime.settings import Settings
from schemas.topics import Topics

MAX_FIELDS = 500


class Story(Protocol):
    """What the console reads of the pipeline's records (operate/follow.py's Follower)."""

    @property
    def waiting(self) -> str | None: ...

    def order(self, order: str) -> dict[str, Any] | None: ...

    def customer(self, customer_id: str) -> dict[str, Any] | None: ...

    def request(self, notification_id: str) -> bytes | None: ...

    def activity(self, now: datetime, minutes: int = 60) -> Activity: ...


class Emails(Protocol):
    """Which customer an email address belongs to (pages/customers.py)."""

    def by_email(self, address: str) -> str | None: ...


@dataclass
class Context:
    """The console's world, built once."""

    settings: Settings
    topics: Topics
    auth: ConsoleAuth
    story: Story
    emails: Emails
    renderer: Renderer
    clock: Callable[[], datetime]

    def page(
        self,
        title: str,
        body: str,
        active: str,
        visitor: Visitor,
        status: int = 200,
        *,
        emails: bool = False,
    ) -> Answer:
        """A whole page of the logged-in console (`emails`: it shows emails as sent)."""
        html = page(title, body, active=active, csrf=self.auth.csrf(visitor))
        return Answer(status, {}, EMAIL_HEADERS if emails else HEADERS, html=html)

    def fragment(self, html: str) -> Answer:
        """A part of a page, for the console's script to put in place."""
        return Answer(200, {}, HEADERS, html=html)


def query(request: Request) -> dict[str, str]:
    """The query string's fields (the first of each name)."""
    return _first(parse_qsl(request.query, keep_blank_values=True, max_num_fields=MAX_FIELDS))


def form(request: Request) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """A posted form's fields: the first of each name, and all of them in order."""
    pairs = parse_qsl(
        request.body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS
    )
    return _first(pairs), pairs


def _first(pairs: list[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in pairs:
        found.setdefault(name, value)
    return found
