"""Email through SendGrid v3 mail/send.

The SDK builds the request body (`sendgrid.helpers.mail.Mail`), but its HTTP client is
synchronous urllib with a new connection per call, so the body goes out on one pooled
aiohttp session with the same headers the SDK would send.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import aiohttp
import sendgrid
from sendgrid.helpers.mail import CustomArg, From, Header, Mail, To
from sendgrid.helpers.mail.exceptions import ApiKeyIncludedException

from aftercart.settings import Settings
from channels.errors import (
    ConfigurationError,
    DeliveryError,
    PermanentError,
    RetriableError,
    retry_after_seconds,
)
from channels.messages import EmailMessage, Receipt

NOTIFICATION_HEADER = "X-Aftercart-Notification-Id"


def display_name(name: str | None) -> str | None:
    """SendGrid drops mail whose recipient name has an unquoted ',' or ';': quote those."""
    if name and ("," in name or ";" in name):
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    return name


def mail_body(message: EmailMessage, sender: From) -> bytes:
    """The v3 mail/send JSON body, built by the SDK."""
    try:
        mail = Mail(
            from_email=sender,
            to_emails=To(message.to, display_name(message.to_name)),
            subject=message.subject,
            plain_text_content=message.text,
            html_content=message.html,
        )
        mail.custom_arg = CustomArg("notification_id", message.notification_id)
        if message.customer_id:  # the setter appends: receipts name the customer too
            mail.custom_arg = CustomArg("customer_id", message.customer_id)
        mail.header = Header(NOTIFICATION_HEADER, message.notification_id)
        if message.unsubscribe_url:  # one click in the mail client, RFC 8058
            mail.header = Header("List-Unsubscribe", f"<{message.unsubscribe_url}>")
            mail.header = Header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
        return json.dumps(mail.get()).encode()
    except (ApiKeyIncludedException, ValueError, TypeError) as exc:
        # The SDK refuses content that starts like an API key; such a message never goes.
        raise PermanentError("email", f"SDK refused the message: {exc!r}") from exc


def error_for_status(status: int, headers: Mapping[str, str], detail: str) -> DeliveryError:
    """SendGrid's refusal as the error type that says what to do next."""
    code = str(status)
    if status in (408, 429) or status >= 500:
        return RetriableError("email", detail, code, retry_after_seconds(headers))
    if status in (401, 403):
        return ConfigurationError("email", f"API key rejected: {detail}", code)
    if status == 404 or 300 <= status < 400:
        return ConfigurationError("email", f"no mail/send at the configured host: {detail}", code)
    return PermanentError("email", detail, code)


class SendGridEmail:
    """Sends one email per call through SendGrid over a pooled aiohttp session."""

    channel = "email"

    def __init__(self, settings: Settings, *, timeout_s: float = 10.0) -> None:
        self._url = f"{settings.sendgrid_base_url.rstrip('/')}/v3/mail/send"
        self._from = From(settings.email_from, settings.email_from_name)
        # The key lives only in this header dict: never in logs or exception text.
        self._headers = {
            "Authorization": f"Bearer {settings.sendgrid_key.get_secret_value()}",
            "User-Agent": f"sendgrid/{sendgrid.__version__};python",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._limit = settings.channel_concurrency
        self._session: aiohttp.ClientSession | None = None

    async def send(self, message: EmailMessage) -> Receipt:
        """Post one message; a 2xx gives a Receipt with SendGrid's X-Message-Id."""
        body = mail_body(message, self._from)
        try:
            async with self._client().post(
                self._url, data=body, headers=self._headers, allow_redirects=False
            ) as resp:
                if 200 <= resp.status < 300:
                    provider_id = resp.headers.get("X-Message-Id")
                    return Receipt("email", message.notification_id, provider_id)
                detail = f"HTTP {resp.status}: {(await resp.text(errors='replace'))[:500]}"
                raise error_for_status(resp.status, resp.headers, detail)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RetriableError("email", f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        """Close the pooled session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use: aiohttp sessions belong to the running event loop.
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._limit)
            self._session = aiohttp.ClientSession(timeout=self._timeout, connector=connector)
        return self._session
