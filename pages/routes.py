"""The pages' routes on the gateway, made over its intake: the preference center under
/preferences/ and the pages' own stylesheet."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files

from ingest.accept import Intake
from ingest.routes import Clock, utc_now
from ingest.web import Answer, Handler, Request, Routes
from pages.forms import CSS
from pages.preference_center import CustomerView, PreferenceCenter
from runtime.preference_links import PATH
from runtime.settings import Settings

_ASSETS = files("pages") / "assets"


def asset(name: str, kind: str) -> Handler:
    """A file of pages/assets/, read once, served as it is."""
    body = (_ASSETS / name).read_bytes()
    cache = ((b"cache-control", b"public, max-age=3600"), (b"x-content-type-options", b"nosniff"))

    async def serve(request: Request) -> Answer:
        return Answer(200, {}, cache, content=(kind, body))

    return serve


def page_routes(
    settings: Settings, customers: CustomerView, clock: Clock = utc_now
) -> Callable[[Intake], Routes]:
    """The pages' routes, made when the gateway has its intake."""

    def made(intake: Intake) -> Routes:
        center = PreferenceCenter(settings, intake, customers, clock)
        return Routes(
            exact={("GET", CSS): asset("pages.css", "text/css; charset=utf-8")},
            prefixed={("GET", PATH): center.page, ("POST", PATH): center.change},
        )

    return made
