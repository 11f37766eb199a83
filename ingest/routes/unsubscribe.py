"""GET and POST /unsubscribe: the signed link in every marketing email (runtime/unsubscribe.py)
asks first, and only a POST (the button, or the mail client's one-click) unsubscribes."""

from __future__ import annotations

from ingest import pages
from ingest.accept import Intake
from ingest.mapping import build
from ingest.receipts import parse_form
from ingest.routes import Clock
from ingest.web import Answer, Problem, Request
from runtime import unsubscribe
from runtime.settings import Settings


class Unsubscribe:
    """Turns a customer's marketing email off; 404 everywhere when no secret is configured."""

    def __init__(self, settings: Settings, intake: Intake, clock: Clock) -> None:
        self.secrets = unsubscribe.secrets_of(settings)
        self.shop = settings.brand.name
        self.source = settings.public_url.rstrip("/")
        self.intake = intake
        self.clock = clock

    async def ask(self, request: Request) -> Answer:
        """A person clicked the footer link: confirm with a button (a link checker that only
        fetches the page must not unsubscribe anyone)."""
        self._customer(request)
        return Answer(200, {}, html=pages.confirm(self.shop, request.query))

    async def unsubscribe(self, request: Request) -> Answer:
        """The button, or the mail client's one-click POST (RFC 8058)."""
        customer = self._customer(request)
        data = {"customer_id": customer, "marketing": {"email": False}}
        event = build(
            "preferences.updated",
            data,
            source=self.source,
            key=f"unsubscribe/{customer}/{self.clock():%Y-%m-%d}",
            time=self.clock(),
        )
        await self.intake.publish([event], source="unsubscribe")
        return Answer(200, {}, html=pages.done(self.shop))

    def _customer(self, request: Request) -> str:
        if not self.secrets:
            raise Problem(404, "one-click unsubscribe is not configured")
        token = dict(parse_form(request.query)).get("t", "")
        try:
            return unsubscribe.customer_of(self.secrets, token)
        except ValueError as exc:
            raise Problem(400, str(exc)) from None
