"""An SMTP server (aiosmtpd) standing in for the failover email provider.

It records each accepted message into the same outbox as SendGrid's mail/send, one entry per
recipient, with `payload["provider"] == "smtp"` so a test can tell which provider delivered.
It takes any login (as mail/send takes any key of the right shape) and offers no TLS: it
listens on loopback only.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from sandbox.outbox import Outbox
from sandbox.state import STATE

NOTIFICATION_HEADER = "X-Aftercart-Notification-Id"
PROVIDER = "smtp"


class OutboxHandler:
    """aiosmtpd handler: parses each message and records it as accepted email."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Record one entry per recipient of the envelope."""
        content = (envelope.original_content or b"").replace(b"\r\n", b"\n")  # wire CRLF
        mail = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(mail, EmailMessage)  # policy.default parses into EmailMessage
        fields = {
            "notification_id": mail.get(NOTIFICATION_HEADER),
            "subject": mail.get("Subject"),
            "text": _text(mail),
            "provider_id": mail.get("Message-ID"),
            "payload": {"provider": PROVIDER, "from": envelope.mail_from},
        }
        for recipient in envelope.rcpt_tos:
            self._outbox.record("email", "accepted", recipient=recipient, **fields)
        return "250 2.0.0 Ok: queued"


def _text(mail: EmailMessage) -> str | None:
    body = mail.get_body(preferencelist=("plain", "html"))
    return None if body is None else str(body.get_content()).rstrip("\n")


def _any_login(*args: Any) -> AuthResult:
    return AuthResult(success=True)


def smtp_factory(outbox: Outbox) -> Callable[[], SMTP]:
    """A protocol factory for loop.create_server: one SMTP session per connection."""
    return functools.partial(
        SMTP,
        OutboxHandler(outbox),
        hostname="sandbox.smtp",
        authenticator=_any_login,
        auth_require_tls=False,  # loopback only, and it never checks the password
    )


async def start_smtp_server(outbox: Outbox, host: str, port: int) -> asyncio.Server:
    """Listen for SMTP on host:port in the running loop, recording into outbox."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(smtp_factory(outbox), host, port)


def serving_smtp(host: str, port: int) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context that runs the SMTP server beside the sandbox's HTTP server."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        # aiosmtpd logs every command at info: that costs throughput and says nothing new.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        server = await start_smtp_server(app[STATE].outbox, host, port)
        print(f"sandbox SMTP server ready on {host}:{port}", flush=True)
        try:
            yield
        finally:
            server.close()
            await server.wait_closed()

    return context
