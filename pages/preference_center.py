"""GET and POST /preferences/<token>: the customer's preference center.

The token is the signed link every email carries (runtime/preference_links.py). GET shows
the customer's choices as they stand (pages/customers.py follows them); POST, with the
page's CSRF token, publishes what the form changed as one preferences.updated event (`via`
"preference center") through the gateway's intake, like any event a shop sends, and shows
the page as it now is. Each refusal is a page for a person: an unsigned, tampered or other
purpose's link 403, an expired one 403 saying so, a form without this page's CSRF token 403,
anything a form would never send 400; nothing is changed by any of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from ingest.accept import Intake
from ingest.mapping import build
from ingest.web import Answer, Problem, Request
from pages import preference_html as html
from pages.choices import BadForm, changes, read_form, shown
from pages.customers import Customer
from pages.forms import HEADERS, csrf_ok, csrf_token
from runtime import preference_links
from runtime.preference_links import PATH, LinkRefused
from runtime.settings import Settings
from schemas.common import Contract
from schemas.events import PreferencesUpdated
from streams.envelope import data_of
from streams.profiles import apply_preferences
from streams.timing import QuietHours


class CustomerView(Protocol):
    """What the page reads (pages/customers.py); `waiting` until it has caught up."""

    @property
    def waiting(self) -> str | None: ...

    def get(self, customer_id: str) -> Customer: ...


class PreferenceCenter:
    """The two handlers; 404 pages when no preferences secret is configured."""

    def __init__(
        self,
        settings: Settings,
        intake: Intake,
        customers: CustomerView,
        clock: Callable[[], datetime],
    ) -> None:
        self.secrets = preference_links.secrets_of(settings)
        self.shop = settings.brand.name or settings.public_url
        self.source = settings.public_url.rstrip("/")
        self.quiet = QuietHours(settings.quiet_hours_start, settings.quiet_hours_end)
        self.intake = intake
        self.customers = customers
        self.clock = clock

    async def page(self, request: Request) -> Answer:
        """The customer's choices."""
        found = self._customer(request)
        if isinstance(found, Answer):
            return found
        link, _, customer = found
        return self._choices(link, customer, None)

    async def change(self, request: Request) -> Answer:
        """A form sent back: publish what it changed, then show the page as it now is."""
        found = self._customer(request)
        if isinstance(found, Answer):
            return found
        link, customer_id, customer = found
        lang = html.language_for(customer.language)
        try:
            form = read_form(request.body)
        except BadForm as exc:
            return self._say(400, lang, "bad_input_title", "bad_input", what=str(exc))
        if not csrf_ok(self.secrets, form.csrf, link, self.clock()):
            return self._say(403, lang, "bad_form_title", "bad_form")
        now = self.clock()
        before = shown(customer.prefs, customer.push, self.quiet, now)
        said = changes(before, form, now)
        if said:
            data = {"customer_id": customer_id, **said}
            digest = hashlib.sha256(form.csrf.encode() + request.body).hexdigest()[:24]
            event = build(
                "preferences.updated",
                data,
                source=self.source,
                key=f"preferences/{customer_id}/{digest}",
                time=now,
            )
            try:
                await self.intake.publish([event], source="preferences")
            except Problem as problem:
                return self._say(problem.status, lang, "not_ready_title", "not_ready")
            customer = _after(customer, data_of(event), now)
        banner = "unsubscribed" if form.action == "unsubscribe" else "saved"
        return self._choices(link, customer, banner)

    def _customer(self, request: Request) -> tuple[str, str, Customer] | Answer:
        """The link, its customer and what is known of them; else the page that says why."""
        lang = html.language_for(request.header("accept-language"))
        if not self.secrets:
            return self._say(404, lang, "closed_title", "closed")
        link = request.path.removeprefix(PATH)
        try:
            customer_id = preference_links.customer_of(self.secrets, link, self.clock())
        except LinkRefused as exc:
            if exc.expired:
                return self._say(403, lang, "expired_title", "expired")
            return self._say(403, lang, "bad_link_title", "bad_link")
        if self.customers.waiting is not None:
            answer = self._say(503, lang, "not_ready_title", "not_ready")
            return Answer(503, {}, (*answer.headers, (b"retry-after", b"5")), html=answer.html)
        return link, customer_id, self.customers.get(customer_id)

    def _choices(self, link: str, customer: Customer, banner: str | None) -> Answer:
        now = self.clock()
        lang = html.language_for(customer.language)
        choices = shown(customer.prefs, customer.push, self.quiet, now)
        csrf = csrf_token(self.secrets[0], link, now)
        page = html.choices_page(lang, self.shop, choices, csrf, banner)
        return Answer(200, {}, HEADERS, html=page)

    def _say(self, status: int, lang: str, title: str, text: str, **values: str) -> Answer:
        return Answer(status, {}, HEADERS, html=html.message_page(lang, title, text, **values))


def _after(customer: Customer, said: Contract, now: datetime) -> Customer:
    """The customer as the stream processor will fold the event in (streams/profiles.py)."""
    assert isinstance(said, PreferencesUpdated)
    prefs = apply_preferences(customer.prefs, said, now)
    return Customer(customer.language, customer.first_name, customer.push, prefs)
