"""SendGrid's Email Activity feed, GET /v3/messages: the mail that mail/send accepted.

A channel worker that never got mail/send's answer (it died, or the request timed out) asks here
whether SendGrid has the mail before it sends it again, by the notification id in its custom_args:

    GET /v3/messages?query=unique_args['notification_id']="n-1"&limit=10
    Authorization: Bearer SG.<key>

The answer is the document's: {"messages": [{"from_email", "msg_id", "subject", "to_email",
"status", "opens_count", "clicks_count", "last_event_time"}]}, newest first, at most `limit` (1 to
1000, 10 when absent). One message per personalization, as mail/send records them, each with the
X-Message-Id mail/send answered as msg_id. The sandbox delivers nothing, so status stays
"processed", opens and clicks 0, and last_event_time is when it was accepted. Mail the sandbox's
SMTP server took is not SendGrid's and never appears; neither does rejected or faulted mail.

How the real feed differs:
- Here a mail is listed the moment mail/send accepts it. SendGrid's feed lags behind (seconds to
  minutes), and answers only accounts with the paid Email Activity add-on, to an API key with
  email activity access (others get 401, 403 or 404).
- SendGrid's msg_id is per recipient and need not equal the X-Message-Id (the document's example
  is "filter0307p1las1-16816-5A023E36-1.0"): find mail by unique_args, not by msg_id.
- The sandbox reads only part of the query language (sandbox.activity_query); a query it cannot
  read is a 400 that says why.

The API key is checked as mail/send checks it, with the same 401s. The query parameters are checked
against the document (query required, limit from 1 to 1000) and answered in SendGrid's error
shape. Fault profiles apply to sending only: a lookup is never faulted or slowed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from sandbox.activity_query import Condition, QueryError, parse
from sandbox.outbox import Outbox, OutboxEntry
from sandbox.sendgrid import SentMail, errors_response, unauthorized
from sandbox.state import STATE

DEFAULT_LIMIT = 10  # the document's default
STATUS = "processed"  # accepted, and never delivered anywhere

_Read = Callable[[OutboxEntry, SentMail], Any]
_READ: dict[str, _Read] = {
    "to_email": lambda entry, mail: _lower(entry.recipient),
    "from_email": lambda entry, mail: _lower(mail.from_email),
    "msg_id": lambda entry, mail: entry.provider_id,
    "subject": lambda entry, mail: entry.subject,
    "status": lambda entry, mail: STATUS,
}
_CASELESS = frozenset(("to_email", "from_email"))  # addresses, as SendGrid stores them


async def get_messages(request: web.Request) -> web.Response:
    """GET /v3/messages?query=&limit=."""
    state = request.app[STATE]
    refusal = unauthorized(request)
    if refusal is not None:
        return refusal.response
    result = state.check_contract(request, b"")
    if result.violations:
        return errors_response(400, [(v.message, v.field) for v in result.violations])
    limit = _limit(request.query.get("limit"))
    if limit is None:
        return errors_response(400, [("limit must be a whole number from 1 to 1000", "limit")])
    try:
        conditions = parse(request.query["query"])
    except QueryError as exc:
        return errors_response(400, [(str(exc), "query")])
    return web.json_response({"messages": find(state.outbox, conditions, limit)})


def find(outbox: Outbox, conditions: list[Condition], limit: int) -> list[dict[str, Any]]:
    """The newest mail mail/send accepted that meets every condition, as the feed lists it."""
    found = []
    for entry in outbox.newest_first("email", "accepted"):
        mail = entry.kept  # None for mail the SMTP server took
        if isinstance(mail, SentMail) and all(_meets(entry, mail, c) for c in conditions):
            found.append(_summary(entry, mail))
            if len(found) >= limit:
                break
    return found


def _limit(raw: str | None) -> int | None:
    # The document types limit as a number, so the contract lets 2.5 and nan through.
    if raw is None:
        return DEFAULT_LIMIT
    value = float(raw)
    return int(value) if math.isfinite(value) and value.is_integer() else None


def _meets(entry: OutboxEntry, mail: SentMail, condition: Condition) -> bool:
    if condition.field == "unique_args":
        return mail.unique_args.get(condition.arg or "") == condition.value
    expected = condition.value
    if condition.field in _CASELESS:
        expected = expected.lower()
    return bool(_READ[condition.field](entry, mail) == expected)


def _summary(entry: OutboxEntry, mail: SentMail) -> dict[str, Any]:
    last_event = datetime.fromtimestamp(entry.received_at_ms / 1000, UTC)
    return {
        "from_email": mail.from_email or "",
        "msg_id": entry.provider_id,
        "subject": entry.subject or "",
        "to_email": entry.recipient or "",
        "status": STATUS,
        "opens_count": 0,
        "clicks_count": 0,
        "last_event_time": last_event.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _lower(address: str | None) -> str | None:
    return address.lower() if address is not None else None
