"""Email over SMTP (aiosmtplib): the failover provider when SendGrid keeps failing.

Connections are kept open and reused, a few at a time: one SMTP connection carries one
transaction at a time, and a new connection costs a TCP handshake, EHLO and maybe TLS and AUTH.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from email.message import EmailMessage as MimeMessage
from email.utils import formataddr

import aiosmtplib

from channels.errors import (
    ConfigurationError,
    DeliveryError,
    LookupUnavailable,
    PermanentError,
    RetriableError,
)
from channels.messages import EmailMessage, Receipt
from channels.sendgrid_email import NOTIFICATION_HEADER
from runtime.settings import Settings

AUTH_FAILED = 535  # credentials rejected; 530/534 ask for auth or a stronger mechanism


def mime_message(message: EmailMessage, sender: str, sender_name: str) -> MimeMessage:
    """A multipart/alternative (text, then HTML) with the headers the SendGrid path sets."""
    mime = MimeMessage()
    mime["From"] = formataddr((sender_name, sender))
    mime["To"] = formataddr((message.to_name or "", message.to))
    mime["Subject"] = message.subject
    mime["Message-ID"] = message.message_id(sender)  # the same for a second send
    mime[NOTIFICATION_HEADER] = message.notification_id
    if message.unsubscribe_url:  # one click in the mail client, RFC 8058
        mime["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mime["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    return mime


def error_for_reply(code: int, detail: str) -> DeliveryError:
    """An SMTP reply code as the error type that says what to do next."""
    text = f"SMTP {code}: {detail[:500]}"
    if code in (AUTH_FAILED, 530, 534):
        return ConfigurationError("email", f"SMTP login refused: {text}", str(code))
    if 400 <= code < 500:
        return RetriableError("email", text, str(code))
    return PermanentError("email", text, str(code))


class SmtpEmail:
    """Sends one email per call over a small pool of reused SMTP connections."""

    channel = "email"
    can_find = False  # SMTP has no way to ask a server what it accepted

    def __init__(self, settings: Settings, *, timeout_s: float = 10.0, pool: int = 4) -> None:
        if not settings.smtp_host:
            raise ValueError("SmtpEmail needs settings.smtp_host")
        self._host = settings.smtp_host
        self._port = settings.smtp_server_port
        self._username = settings.smtp_username
        self._password = settings.smtp_password
        self._starttls = settings.smtp_use_starttls
        self._from = (settings.email_from, settings.brand.sender_name)
        self._timeout_s = timeout_s
        self._slots = asyncio.Semaphore(pool)
        self._idle: list[aiosmtplib.SMTP] = []

    async def send(self, message: EmailMessage) -> Receipt:
        """Send one message; the Receipt carries its Message-ID."""
        mime = mime_message(message, *self._from)
        async with self._slots:
            client: aiosmtplib.SMTP | None = None
            try:
                client = await self._connection()
                await client.send_message(mime)
            except BaseException as exc:
                if client is not None:
                    client.close()  # it may be mid-reply: never reuse it
                error = self._error(exc)
                if error is exc:
                    raise
                raise error from exc
            self._idle.append(client)
        return Receipt("email", message.notification_id, mime["Message-ID"])

    async def find(self, message: EmailMessage, since: datetime) -> Receipt | None:
        """Cannot tell: SMTP has no way to ask a server what it accepted."""
        raise LookupUnavailable("email", "SMTP has no way to ask a server what it accepted")

    async def close(self) -> None:
        """Say QUIT on every idle connection."""
        idle, self._idle = self._idle, []
        for client in idle:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()

    @staticmethod
    def _error(exc: BaseException) -> BaseException:
        if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
            refused = exc.recipients[0]
            return error_for_reply(refused.code, refused.message)
        if isinstance(exc, aiosmtplib.SMTPResponseException):
            return error_for_reply(exc.code, exc.message)
        if isinstance(exc, aiosmtplib.SMTPException | OSError | TimeoutError):
            # Disconnects, timeouts, refused connections, a missing STARTTLS: try later.
            return RetriableError("email", f"{type(exc).__name__}: {exc}")
        return exc  # cancellation and bugs go up as they are

    async def _connection(self) -> aiosmtplib.SMTP:
        while self._idle:
            client = self._idle.pop()
            if client.is_connected:
                return client
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password.get_secret_value() if self._password else None,
            start_tls=self._starttls,
            timeout=self._timeout_s,
        )
        await client.connect()
        return client
