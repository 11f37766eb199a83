"""SMS through Twilio Programmable Messaging with the SDK's asyncio client."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from twilio.rest.api.v2010.account.message import MessageList

from channels.errors import (
    ConfigurationError,
    DeliveryError,
    InvalidContact,
    LookupUnavailable,
    OptedOut,
    PermanentError,
    RetriableError,
    no_answer,
)
from channels.messages import Receipt, SmsMessage
from runtime.settings import Settings

# 20429: too many concurrent requests; 30001: queue overflow (back off and retry).
RETRIABLE_CODES = frozenset({20429, 30001})
# Our account or sender is wrong, so every message would fail the same way.
CONFIGURATION_CODES = frozenset({20003, 20005, 21606, 21212})
# 21610 recipient sent STOP, 21211 invalid To, 21614 not a mobile, 30006 landline, and kin.
PERMANENT_CODES = frozenset({21211, 21214, 21408, 21610, 21612, 21614, 30003, 30005, 30006})
# What those say about the number itself, so the next message does not try it again. 30006
# (landline or unreachable carrier) is left out: an unreachable carrier says nothing final.
OPTED_OUT_CODES = frozenset({21610})
INVALID_NUMBER_CODES = frozenset({21211, 21614})

# The SDK logs every request line and header at INFO; keep that out of our logs.
_http_log = logging.getLogger("aftercart.channels.twilio.http")
_http_log.setLevel(logging.WARNING)

# urlencode's quote_plus(safe=""), one byte at a time: these stay, " " is "+", the rest is %XX.
_KEEP = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_FORM_BYTE = [chr(b) if b in _KEEP else "+" if b == 0x20 else f"%{b:02X}" for b in range(256)]
_NO_TIMEOUT = aiohttp.ClientTimeout(total=None)
# Messages a lookup reads (newest first), and how far the provider's clock may be behind ours.
LOOKUP_LIMIT = 20
CLOCK_SKEW = timedelta(minutes=2)


def form_body(data: Mapping[str, str]) -> bytes:
    """The application/x-www-form-urlencoded body aiohttp would make of `data`, byte for byte."""
    return "&".join(f"{_form_quote(k)}={_form_quote(v)}" for k, v in data.items()).encode()


def _form_quote(value: str) -> str:
    return "".join(map(_FORM_BYTE.__getitem__, value.encode()))


class FormHttpClient(AsyncTwilioHttpClient):
    """The SDK's aiohttp client without its per-call extras; the same request goes out.

    The SDK hands over the Messages form as a dict, which aiohttp encodes through a FormData
    (with a multipart writer and uuid4 boundary it never uses) and urllib's byte-by-byte
    quoting: about a fifth of an SMS's CPU. The base class also builds a request record for
    its tests and formats log lines for a logger we keep at WARNING.
    """

    def __init__(self, session: aiohttp.ClientSession, logger: logging.Logger) -> None:
        super().__init__(pool_connections=False, logger=logger)
        self.session = self._session = session
        self._auth: tuple[tuple[str, str], str] | None = None

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's HttpClient signature
        allow_redirects: bool = False,
    ) -> Response:
        """One HTTP request, as AsyncTwilioHttpClient.request makes it."""
        if timeout is not None and timeout <= 0:
            raise ValueError(timeout)
        body: object = data
        if data and all(type(k) is str and type(v) is str for k, v in data.items()):
            body = form_body(data)
        method = method.upper()
        logs = self.logger.isEnabledFor(logging.INFO)
        if logs:
            self.log_request({"method": method, "url": url, "params": params, "headers": headers})
        # timeout=None, as the base class passes it, turns off aiohttp's timeouts (see send).
        request = self._session.request(
            method,
            url,
            params=params,
            data=body,
            headers=self._with_auth(headers, auth),
            timeout=_NO_TIMEOUT if timeout is None else aiohttp.ClientTimeout(total=timeout),
            allow_redirects=allow_redirects,
        )
        async with request as resp:
            if logs:
                self.log_response(resp.status, resp)
            return Response(resp.status, await resp.text(), resp.headers)

    def _with_auth(
        self, headers: dict[str, str] | None, auth: tuple[str, str] | None
    ) -> dict[str, str] | None:
        """The headers plus HTTP Basic authorization (computed once per credential pair)."""
        if auth is None:
            return headers
        if self._auth is None or self._auth[0] != auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            self._auth = (auth, f"Basic {token}")
        return {**(headers or {}), "Authorization": self._auth[1]}


def error_for_twilio(status: int, code: int | None, detail: str) -> DeliveryError:
    """Twilio's refusal (HTTP status, Twilio error code) as the error type for what comes next."""
    provider_code = str(code) if code is not None else str(status)
    if code in RETRIABLE_CODES:
        return RetriableError("sms", detail, provider_code)
    if code in OPTED_OUT_CODES:
        return OptedOut("sms", detail, provider_code)
    if code in INVALID_NUMBER_CODES:
        return InvalidContact("sms", detail, provider_code)
    if code in PERMANENT_CODES:
        return PermanentError("sms", detail, provider_code)
    if code in CONFIGURATION_CODES or status in (401, 403, 404) or 300 <= status < 400:
        return ConfigurationError("sms", detail, provider_code)
    if status == 429 or status >= 500:
        return RetriableError("sms", detail, provider_code)
    return PermanentError("sms", detail, provider_code)


def list_failure(exc: TwilioException) -> DeliveryError:
    """A failed Messages list as the error type for what comes next. The SDK raises a plain
    TwilioException("Unable to fetch page", response) for any answer but 200."""
    response = exc.args[1] if len(exc.args) > 1 else None
    if not isinstance(response, Response):
        return PermanentError("sms", str(exc))
    try:
        code = json.loads(response.text).get("code")
    except (ValueError, AttributeError):
        code = None
    detail = f"HTTP {response.status_code}: {response.text[:300]}"
    return error_for_twilio(response.status_code, code if isinstance(code, int) else None, detail)


class TwilioSms:
    """Sends one SMS per call with `messages.create_async` on one pooled HTTP session."""

    channel = "sms"
    can_find = True  # the Messages list, by recipient and sender

    def __init__(self, settings: Settings, *, timeout_s: float = 10.0) -> None:
        self._sid, self._token = settings.twilio_credentials
        self._base_url = settings.twilio_api_base_url
        self._from = settings.twilio_from
        self._callback = f"{settings.public_url.rstrip('/')}/receipts/twilio"
        self._timeout_s = timeout_s
        self._limit = settings.channel_concurrency
        self._http: FormHttpClient | None = None
        self._messages: MessageList | None = None

    async def send(self, message: SmsMessage) -> Receipt:
        """Create one Message; a 2xx gives a Receipt with the Message SID."""
        callback = f"{self._callback}?notification_id={quote(message.notification_id)}"
        if message.customer_id:
            callback += f"&customer_id={quote(message.customer_id)}"
        try:
            # The SDK hands aiohttp timeout=None per request, which disables every timeout.
            async with asyncio.timeout(self._timeout_s):
                created = await self._client().create_async(
                    to=message.to, from_=self._from, body=message.body, status_callback=callback
                )
        except TwilioRestException as exc:
            raise error_for_twilio(exc.status, exc.code, f"HTTP {exc.status}: {exc.msg}") from exc
        except TwilioServiceException as exc:
            detail = f"HTTP {exc.status}: {exc.title} {exc.detail or ''}".strip()
            raise error_for_twilio(exc.status, exc.code, detail) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise no_answer("sms", exc) from exc
        return Receipt("sms", message.notification_id, created.sid)

    async def find(self, message: SmsMessage, since: datetime) -> Receipt | None:
        """The Message from our number to this recipient with this exact body, created at or
        after `since`. Twilio keeps no notification id on a Message, so the body is the match:
        two identical texts to one number within the window count as one."""
        try:
            async with asyncio.timeout(self._timeout_s):
                recent = await self._client().list_async(
                    to=message.to, from_=self._from, limit=LOOKUP_LIMIT
                )
        except TwilioException as exc:
            error = list_failure(exc)
            if isinstance(error, RetriableError | ConfigurationError):
                raise error from exc
            raise LookupUnavailable("sms", f"Messages list: {error.detail}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise no_answer("sms", exc) from exc
        earliest = since - CLOCK_SKEW
        for found in recent:
            created = found.date_created
            if found.body == message.body and (created is None or created >= earliest):
                return Receipt("sms", message.notification_id, found.sid)
        return None

    async def close(self) -> None:
        """Close the SDK's HTTP session."""
        if self._http is not None:
            await self._http.close()
            self._http = self._messages = None

    def _client(self) -> MessageList:
        # Created on first use: aiohttp sessions belong to the running event loop.
        if self._messages is None:
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._limit))
            http = FormHttpClient(session, _http_log)
            # environment={}: Settings is the only configuration, not TWILIO_* variables.
            client = Client(
                self._sid, self._token.get_secret_value(), http_client=http, environment={}
            )
            client.api.base_url = self._base_url
            self._http, self._messages = http, client.api.account.messages
        return self._messages
