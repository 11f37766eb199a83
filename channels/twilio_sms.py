"""SMS through Twilio Programmable Messaging with the SDK's asyncio client."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

import aiohttp
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from aftercart.settings import Settings
from channels.errors import ConfigurationError, DeliveryError, PermanentError, RetriableError
from channels.messages import Receipt, SmsMessage

# 20429: too many concurrent requests; 30001: queue overflow (back off and retry).
RETRIABLE_CODES = frozenset({20429, 30001})
# Our account or sender is wrong, so every message would fail the same way.
CONFIGURATION_CODES = frozenset({20003, 20005, 21606, 21212})
# 21610 recipient sent STOP, 21211 invalid To, 21614 not a mobile, 30006 landline, and kin.
PERMANENT_CODES = frozenset({21211, 21214, 21408, 21610, 21612, 21614, 30003, 30005, 30006})

# The SDK logs every request line and header at INFO; keep that out of our logs.
_http_log = logging.getLogger("aftercart.channels.twilio.http")
_http_log.setLevel(logging.WARNING)


def error_for_twilio(status: int, code: int | None, detail: str) -> DeliveryError:
    """Twilio's refusal (HTTP status, Twilio error code) as the error type for what comes next."""
    provider_code = str(code) if code is not None else str(status)
    if code in RETRIABLE_CODES:
        return RetriableError("sms", detail, provider_code)
    if code in PERMANENT_CODES:
        return PermanentError("sms", detail, provider_code)
    if code in CONFIGURATION_CODES or status in (401, 403, 404) or 300 <= status < 400:
        return ConfigurationError("sms", detail, provider_code)
    if status == 429 or status >= 500:
        return RetriableError("sms", detail, provider_code)
    return PermanentError("sms", detail, provider_code)


class TwilioSms:
    """Sends one SMS per call with `messages.create_async` on one pooled HTTP session."""

    channel = "sms"

    def __init__(self, settings: Settings, *, timeout_s: float = 10.0) -> None:
        self._sid, self._token = settings.twilio_credentials
        self._base_url = settings.twilio_api_base_url
        self._from = settings.twilio_from
        self._callback = f"{settings.public_url.rstrip('/')}/receipts/twilio"
        self._timeout_s = timeout_s
        self._limit = settings.channel_concurrency
        self._http: AsyncTwilioHttpClient | None = None
        self._twilio: Client | None = None

    async def send(self, message: SmsMessage) -> Receipt:
        """Create one Message; a 2xx gives a Receipt with the Message SID."""
        callback = f"{self._callback}?notification_id={quote(message.notification_id)}"
        try:
            # The SDK hands aiohttp timeout=None per request, which disables every timeout.
            async with asyncio.timeout(self._timeout_s):
                created = await self._client().messages.create_async(
                    to=message.to, from_=self._from, body=message.body, status_callback=callback
                )
        except TwilioRestException as exc:
            raise error_for_twilio(exc.status, exc.code, f"HTTP {exc.status}: {exc.msg}") from exc
        except TwilioServiceException as exc:
            detail = f"HTTP {exc.status}: {exc.title} {exc.detail or ''}".strip()
            raise error_for_twilio(exc.status, exc.code, detail) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RetriableError("sms", f"{type(exc).__name__}: {exc}") from exc
        return Receipt("sms", message.notification_id, created.sid)

    async def close(self) -> None:
        """Close the SDK's HTTP session."""
        if self._http is not None:
            await self._http.close()
            self._http = self._twilio = None

    def _client(self) -> Client:
        # Created on first use: the SDK opens its aiohttp session in the constructor, and
        # aiohttp sessions belong to the running event loop.
        if self._twilio is None:
            http = AsyncTwilioHttpClient(pool_connections=False, logger=_http_log)
            http.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._limit))
            # environment={}: Settings is the only configuration, not TWILIO_* variables.
            client = Client(
                self._sid, self._token.get_secret_value(), http_client=http, environment={}
            )
            client.api.base_url = self._base_url
            self._http, self._twilio = http, client
        return self._twilio
