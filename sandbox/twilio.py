"""Twilio's Messages resource (REST API 2010-04-01), with Twilio's status codes and error JSON."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import secrets
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from aiohttp import web

from sandbox.casting import percent_decode
from sandbox.contracts import Violation
from sandbox.faults import Fault, reason
from sandbox.state import STATE, Refusal, SandboxState, admit

MAX_BODY_CHARS = 1600
E164 = re.compile(r"(?:whatsapp:)?\+[1-9]\d{1,14}")
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")  # two septets each
_GSM7_ALL = frozenset(GSM7 | GSM7_EXTENSION)
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}  # as web.json_response sets it
_FAULT_CODES = {429: 20429, 503: 20503}  # any other 5xx: 20500 Internal Server Error
_URL_ODDITIES = frozenset("[]\t\r\n")  # what makes urlsplit strip characters or check brackets


class SentSms(NamedTuple):
    """An accepted Message as the sandbox keeps it; its resource is rebuilt from this."""

    account_sid: str
    sid: str
    date_created: str  # RFC 2822, as Twilio writes dates
    to: str | None
    from_: str | None
    body: str
    messaging_service_sid: str | None
    num_media: int


def error_response(status: int, code: int, message: str) -> web.Response:
    """Twilio's error JSON: code, message, more_info, status."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status)


async def create_message(request: web.Request) -> web.StreamResponse:
    """POST /2010-04-01/Accounts/{AccountSid}/Messages.json."""
    result = await admit(request, "sms", fault_response, unauthorized)
    if isinstance(result, web.Response):
        return result
    state = request.app[STATE]
    form: dict[str, Any] = result.body if isinstance(result.body, dict) else {}
    problem = contract_problem(result.violations) or _provider_rules(form)
    if problem:
        status, code, message = problem
        _record(state, form, "rejected", error=f"{status} {code} {message}")
        return error_response(status, code, message)
    sent = new_message(request.match_info["AccountSid"], form)
    _record(state, form, "accepted", provider_id=sent.sid, kept=sent)
    return web.Response(body=json.dumps(resource(sent)).encode(), status=201, headers=JSON_HEADERS)


def fault_response(fault: Fault) -> web.Response:
    """An injected fault as Twilio answers it: its error JSON; a 429 is 20429 with Retry-After."""
    code = _FAULT_CODES.get(fault.status, 20500)
    response = error_response(fault.status, code, reason(fault.status))
    if fault.status == 429:
        response.headers["Retry-After"] = str(fault.retry_after_s)
    return response


def unauthorized(request: web.Request) -> Refusal | None:
    """Twilio's 401 20003, or None for HTTP Basic with the path's account SID as user and any
    non-empty token, as the sandbox takes it."""
    user, password = _basic_credentials(request.headers.get("Authorization", ""))
    if user == request.match_info["AccountSid"] and password:
        return None
    return Refusal(error_response(401, 20003, "Authenticate"), "401 20003 Authenticate")


def _basic_credentials(header: str) -> tuple[str | None, str | None]:
    # By hand: aiohttp deprecates its BasicAuth helper.
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else (None, None)


def new_message(account_sid: str, form: dict[str, Any]) -> SentSms:
    """A new Message, created now, from a create's form."""
    return SentSms(
        account_sid=account_sid,
        sid="SM" + secrets.token_hex(16),  # not guessable: see outbox.new_message_id
        date_created=_rfc2822_now(),
        to=form.get("To"),
        from_=form.get("From"),
        body=form.get("Body") or "",
        messaging_service_sid=form.get("MessagingServiceSid"),
        num_media=len(form.get("MediaUrl") or []),
    )


def resource(message: SentSms) -> dict[str, Any]:
    """The Message resource as Twilio answers a create (and lists it), as the SDK reads it."""
    uri = f"/2010-04-01/Accounts/{message.account_sid}/Messages/{message.sid}"
    return {
        "account_sid": message.account_sid,
        "api_version": "2010-04-01",
        "body": message.body,
        "date_created": message.date_created,
        "date_sent": None,
        "date_updated": message.date_created,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": message.from_,
        "messaging_service_sid": message.messaging_service_sid,
        "num_media": str(message.num_media),
        "num_segments": str(segments(message.body)),
        "price": None,
        "price_unit": "USD",
        "sid": message.sid,
        # A Messaging Service picks the sender later, so its messages start as accepted.
        "status": "queued" if message.from_ else "accepted",
        "subresource_uris": {"media": f"{uri}/Media.json"},
        "to": message.to,
        "uri": f"{uri}.json",
    }


def message_resource(account_sid: str, form: dict[str, Any]) -> dict[str, Any]:
    """The Message resource Twilio answers a create with."""
    return resource(new_message(account_sid, form))


_last_date: tuple[int, str] = (-1, "")


def _rfc2822_now() -> str:
    """The current second as Twilio writes dates (RFC 2822, "+0000"), formatted once a second."""
    global _last_date
    second, cached = int(time.time()), _last_date
    if second != cached[0]:
        cached = _last_date = (second, format_datetime(datetime.fromtimestamp(second, UTC)))
    return cached[1]


def segments(text: str) -> int:
    """SMS segments: GSM-7 160/153 septets, otherwise UCS-2 70/67 code units."""
    if _GSM7_ALL.issuperset(text):
        length = len(text) + sum(map(text.count, GSM7_EXTENSION))  # those take two septets
        single, multi = 160, 153
    else:
        length = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if length <= single else math.ceil(length / multi)


def contract_problem(violations: list[Violation]) -> tuple[int, int, str] | None:
    """The status, Twilio code and message for a request that breaks the document, or None."""
    if not violations:
        return None
    if any(v.field == "To" and "required" in v.message for v in violations):
        return 400, 21604, "A 'To' phone number is required."
    # Twilio's code for a request that does not match the API's schema.
    detail = "; ".join(str(v) for v in violations)
    return 400, 70002, f"Bad request: {detail}"


def _provider_rules(form: dict[str, Any]) -> tuple[int, int, str] | None:
    # Rules the live API enforces that the document does not state.
    to = form.get("To") or ""
    if not to:
        return 400, 21604, "A 'To' phone number is required."
    if not E164.fullmatch(to):
        return 400, 21211, f"Invalid 'To' Phone Number: {to}"
    if not form.get("From") and not form.get("MessagingServiceSid"):
        return 400, 21603, "A 'From' phone number is required."
    if not form.get("Body") and not form.get("MediaUrl") and not form.get("ContentSid"):
        return 400, 21602, "Message body is required."
    if len(form.get("Body") or "") > MAX_BODY_CHARS:
        return 400, 21617, "The concatenated message body exceeds the 1600 character limit."
    return None


def _record(state: SandboxState, form: dict[str, Any], status: str, **fields: Any) -> None:
    callback = form.get("StatusCallback")
    notification_id = _notification_id(callback) if isinstance(callback, str) else None
    state.outbox.record(
        "sms",
        status,
        recipient=form.get("To"),
        text=form.get("Body"),
        notification_id=notification_id,
        **fields,
    )


def _notification_id(callback: str) -> str | None:
    """parse_qs(urlsplit(callback).query).get("notification_id")[0], or None, read directly."""
    if not callback.isascii() or not _URL_ODDITIES.isdisjoint(callback):
        values = parse_qs(urlsplit(callback).query).get("notification_id")
        return values[0] if values else None
    # In such a URL, urlsplit's query is what lies between the first "?" and the first "#".
    for field in callback.partition("#")[0].partition("?")[2].split("&"):
        name, _, value = field.partition("=")
        if value and percent_decode(name.replace("+", " ")) == "notification_id":
            return percent_decode(value.replace("+", " "))  # parse_qs skips blank values
    return None
