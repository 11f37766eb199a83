"""The pages' routes on the gateway, made over its intake: the preference center under
/preferences/, the console under /console, and the pages' own stylesheet and script."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from typing import Protocol

from channels.checks import renderer_for
from ingest.accept import Intake
from ingest.routes import Clock, utc_now
from ingest.web import Answer, Handler, Request, Routes
from pages.console.app import Console
from pages.console.auth import ConsoleAuth
from pages.console.context import Context, Emails, Story
from pages.console.layout import SCRIPT
from pages.forms import CSS
from pages.preference_center import CustomerView, PreferenceCenter
from runtime.preference_links import PATH
from runtime.settings import Settings
from schemas.topics import Topics

_ASSETS = files("pages") / "assets"


class Customers(CustomerView, Emails, Protocol):
    """What the pages read of the customers (pages/customers.py)."""


def asset(name: str, kind: str) -> Handler:
    """A file of pages/assets/, read once, served as it is."""
    body = (_ASSETS / name).read_bytes()
    cache = ((b"cache-control", b"public, max-age=3600"), (b"x-content-type-options", b"nosniff"))

    async def serve(request: Request) -> Answer:
        return Answer(200, {}, cache, content=(kind, body))

    return serve


def page_routes(
    settings: Settings,
    customers: Customers,
    story: Story | None = None,
    clock: Clock = utc_now,
) -> Callable[[Intake], Routes]:
    """The pages' routes, made when the gateway has its intake: the preference center, and
    the console over `story` (the followed records) when it is given."""

    def made(intake: Intake) -> Routes:
        center = PreferenceCenter(settings, intake, customers, clock)
        exact: dict[tuple[str, str], Handler] = {
            ("GET", CSS): asset("pages.css", "text/css; charset=utf-8"),
            ("GET", SCRIPT): asset("console.js", "text/javascript; charset=utf-8"),
        }
        prefixed: dict[tuple[str, str], Handler] = {
            ("GET", PATH): center.page,
            ("POST", PATH): center.change,
        }
        if story is not None:
            auth = ConsoleAuth(
                settings.console_tokens,
                secure=settings.public_url.startswith("https://"),
                registry=intake.metrics.registry,
                clock=clock,
            )
            topics = Topics(settings.topic_prefix, settings.topic_partitions)
            ctx = Context(settings, topics, auth, story, customers, renderer_for(settings), clock)
            console = Console(ctx).routes()
            exact |= console.exact
            prefixed |= console.prefixed
        return Routes(exact, prefixed)

    return made
