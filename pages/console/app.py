"""The console's routes: every page behind ConsoleAuth (a session or a bearer token), every
form post checked for its CSRF token, and the login and logout pages. Off (404) unless
AFTERCART_CONSOLE_TOKENS is set."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from ingest.web import Answer, Handler, Request, Routes
from pages.console import deadletters, replay, templates
from pages.console.auth import Visitor
from pages.console.context import Context, form, query
from pages.console.layout import HOME, banner, e, hidden, shell
from pages.console.overview import PART, Overview
from pages.console.search import PATH as SEARCH
from pages.console.search import form as search_form
from pages.console.search import results
from pages.forms import HEADERS, csrf_ok, csrf_token

LOGIN, LOGOUT = f"{HOME}/login", f"{HOME}/logout"
Page = Callable[[Context, Request, Visitor], Awaitable[Answer]]


class Console:
    """The console over its context; `routes()` for the gateway."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.overview = Overview()
        self.jobs = replay.Jobs()

    def routes(self) -> Routes:
        """Every console route, each guarded."""
        g = self._guarded
        jobs = self.jobs
        exact: dict[tuple[str, str], Handler] = {
            ("GET", LOGIN): self.login_page,
            ("POST", LOGIN): self.login,
            ("POST", LOGOUT): g(self.logout),
            ("GET", HOME): g(self.overview.page),
            ("GET", PART): g(self.overview.part),
            ("GET", SEARCH): g(self.search),
            ("GET", deadletters.PATH): g(deadletters.listing),
            ("POST", f"{deadletters.PATH}/preview"): g(deadletters.preview),
            ("POST", f"{deadletters.PATH}/redrive"): g(deadletters.run),
            ("GET", replay.PATH): g(replay.ask),
            ("POST", f"{replay.PATH}/preview"): g(replay.preview),
            ("POST", f"{replay.PATH}/start"): g(partial(replay.start, jobs=jobs)),
            ("GET", templates.PATH): g(templates.show),
        }
        prefixed: dict[tuple[str, str], Handler] = {
            ("GET", f"{deadletters.PATH}/"): g(deadletters.detail),
            ("GET", f"{replay.PATH}/"): g(partial(replay.follow, jobs=jobs)),
        }
        return Routes(exact, prefixed)

    def _guarded(self, page: Page) -> Handler:
        async def guarded(request: Request) -> Answer:
            auth = self.ctx.auth
            if auth.closed:
                return _plain(
                    404, "The console is off", "Set AFTERCART_CONSOLE_TOKENS to turn it on."
                )
            visitor = auth.visitor(request)
            if visitor is None:
                if request.header("authorization"):
                    return _plain(401, "Not allowed", "That token is not one of the console's.")
                return Answer(303, {}, ((b"location", LOGIN.encode()),), html="")
            if request.method == "POST":
                try:
                    fields = form(request)[0]
                except ValueError:
                    return _plain(400, "Too many fields", "The form has too many fields.")
                if not auth.csrf_ok(visitor, fields):
                    return _plain(403, "Form expired", "Reload the page and try again.")
            try:
                return await page(self.ctx, request, visitor)
            except ValueError as exc:  # a query past its field limit, a bad value
                return _plain(400, "That did not work", str(exc))

        return guarded

    async def login_page(self, request: Request) -> Answer:
        """GET /console/login."""
        auth = self.ctx.auth
        if auth.closed:
            return OFF
        token = csrf_token(auth.tokens[0], LOGIN, self.ctx.clock())
        body = (
            "<h1>aftercart console</h1>"
            f'<form method="post" action="{LOGIN}">{hidden("csrf", token)}'
            '<p><label for="token">Console token</label><br>'
            '<input type="password" id="token" name="token" autocomplete="current-password" '
            'required></p><button type="submit">Log in</button></form>'
        )
        return Answer(200, {}, HEADERS, html=shell("Log in", body))

    async def login(self, request: Request) -> Answer:
        """POST /console/login: a session cookie for a right token; 401 (counted) else."""
        auth = self.ctx.auth
        if auth.closed:
            return OFF
        try:
            fields = form(request)[0]
        except ValueError:
            return _plain(400, "Too many fields", "The form has too many fields.")
        if not csrf_ok(auth.tokens, fields.get("csrf", ""), LOGIN, self.ctx.clock()):
            return _plain(403, "Form expired", "Reload the login page and try again.")
        cookie = auth.login(request)
        if cookie is None:
            return _plain(401, "Wrong token", "That is not a console token. Try again.")
        return Answer(
            303, {}, ((b"location", HOME.encode()), (b"set-cookie", cookie.encode())), html=""
        )

    async def logout(self, ctx: Context, request: Request, visitor: Visitor) -> Answer:
        """POST /console/logout."""
        cookie = ctx.auth.logout().encode()
        return Answer(303, {}, ((b"location", LOGIN.encode()), (b"set-cookie", cookie)), html="")

    async def search(self, ctx: Context, request: Request, visitor: Visitor) -> Answer:
        """GET /console/search?q=: an order, a customer id or an email address."""
        q = query(request).get("q", "").strip()
        body = search_form(q)
        if ctx.story.waiting is not None:
            body += banner(f"Not ready yet: {ctx.story.waiting}. Try again in a moment.", warn=True)
        elif q:
            found = ctx.story.order(q) or ctx.story.customer(q)
            if found is None and "@" in q:
                customer = ctx.emails.by_email(q)
                found = ctx.story.customer(customer) if customer else None
            body += results(q, found, ctx.story.request, ctx.renderer)
        return ctx.page("Search", body, "search", visitor, emails=True)


def _plain(status: int, title: str, text: str) -> Answer:
    """A plain page that says what went wrong, and never a trace."""
    return Answer(status, {}, HEADERS, html=shell(title, f"<h1>{e(title)}</h1><p>{e(text)}</p>"))


OFF = _plain(404, "The console is off", "Set AFTERCART_CONSOLE_TOKENS to turn it on.")
