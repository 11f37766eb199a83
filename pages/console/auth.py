"""Who may use the console: a person who typed one of AFTERCART_CONSOLE_TOKENS into the login
page (then a session cookie: HttpOnly, SameSite=Strict, Secure behind HTTPS, for 12 hours),
or a script that sends `Authorization: Bearer <token>`. Wrong credentials get a plain 401
page and are counted; every form a session posts carries a CSRF token bound to its cookie.

The cookie is signed (runtime/signing.py, purpose "console session") with the token that
logged in and names when it ends; dropping a token from the settings ends its sessions.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter
from pydantic import SecretStr

from ingest.receipts import parse_form
from ingest.web import Request
from pages.forms import csrf_ok, csrf_token
from runtime import signing

COOKIE = "aftercart_console"
PURPOSE = "console session"
SESSION = timedelta(hours=12)


@dataclass(frozen=True)
class Visitor:
    """Someone the console let in: by a session cookie (`cookie`) or a bearer token."""

    cookie: str | None  # None: a script with a bearer token, which needs no CSRF token


class ConsoleAuth:
    """Checks tokens, makes and reads session cookies, and counts failed logins."""

    def __init__(
        self,
        tokens: list[SecretStr],
        *,
        secure: bool,
        registry: CollectorRegistry,
        clock: Callable[[], datetime],
    ) -> None:
        self.tokens = [t.get_secret_value().encode() for t in tokens]
        self.secure = secure
        self.clock = clock
        self.failures = Counter(
            "aftercart_console_login_failures",
            "Console logins and bearer requests refused for a wrong token",
            registry=registry,
        )

    @property
    def closed(self) -> bool:
        """Whether no token is configured (the console is off)."""
        return not self.tokens

    def known(self, presented: str) -> bytes | None:
        """The configured token equal to `presented` (every one compared, in constant time)."""
        given = presented.strip().encode()
        found = None
        for token in self.tokens:
            if hmac.compare_digest(token, given):
                found = token
        return found

    def visitor(self, request: Request) -> Visitor | None:
        """Who is asking: a valid session cookie or bearer token, else None (a wrong bearer
        token is counted as a failure)."""
        scheme, _, presented = request.header("authorization").partition(" ")
        if scheme.lower() == "bearer":
            if self.known(presented) is not None:
                return Visitor(None)
            self.failures.inc()
            return None
        cookie = cookies(request).get(COOKIE)
        if cookie and self._session_ok(cookie):
            return Visitor(cookie)
        return None

    def login(self, request: Request) -> str | None:
        """The Set-Cookie value for a login form with a right token; None (counted) else."""
        presented = dict(parse_form(request.body)).get("token", "")
        token = self.known(presented) if presented else None
        if token is None:
            self.failures.inc()
            return None
        ends = int((self.clock() + SESSION).timestamp())
        value = signing.sign(PURPOSE, str(ends), token)
        secure = "; Secure" if self.secure else ""
        age = int(SESSION.total_seconds())
        return f"{COOKIE}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={age}{secure}"

    def logout(self) -> str:
        """The Set-Cookie value that ends a session."""
        return f"{COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0"

    def csrf(self, visitor: Visitor) -> str:
        """The CSRF token for the forms of a session's pages ('' for a script)."""
        if visitor.cookie is None:
            return ""
        return csrf_token(self.tokens[0], visitor.cookie, self.clock())

    def csrf_ok(self, visitor: Visitor, form: dict[str, str]) -> bool:
        """Whether a form a session posted carries its CSRF token (a script needs none)."""
        if visitor.cookie is None:
            return True
        return csrf_ok(self.tokens, form.get("csrf", ""), visitor.cookie, self.clock())

    def _session_ok(self, cookie: str) -> bool:
        try:
            ends = signing.verify(PURPOSE, cookie, self.tokens)
        except ValueError:
            return False
        return ends.isdigit() and int(ends) > self.clock().timestamp()


def cookies(request: Request) -> dict[str, str]:
    """The request's cookies by name."""
    found: dict[str, str] = {}
    for part in request.header("cookie").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            found.setdefault(name, value)
    return found
