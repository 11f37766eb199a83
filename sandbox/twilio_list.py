"""Twilio's Messages list, GET /2010-04-01/Accounts/{AccountSid}/Messages.json.

A channel worker that never got a create's answer (it died, or the request timed out) reads this
list before it sends again; with the twilio SDK, `await client.messages.list_async(to=...,
from_=..., limit=...)`. Listed are the Messages the sandbox accepted (in the outbox) for the
account in the path, newest first, each exactly as the create answered it: the sandbox never
delivers, so status stays "queued" ("accepted" for a Messaging Service) and date_sent null.

Filters, all optional and combined: To and From (the exact number), DateSent, DateSent< and
DateSent> (the document's format is date-time, which is what the SDK sends). As Twilio's reference
describes them, these count GMT days: DateSent is that day, DateSent< on or before it, DateSent>
on or after it; the time of day in the value is ignored. With date_sent null here, a Message's
day is that of its date_created.

Pages as Twilio pages them: PageSize (50 when absent, 1 to 1000), Page (the page's number, the
client's state) and PageToken, which the page URIs carry: "PA" and the sid of the page's last
Message for next_page_uri (the next page starts after it), "PB" and the sid of its first for
previous_page_uri (that page ends before it). Page without a PageToken skips Page x PageSize
Messages. next_page_uri is null on the last page.

Authentication is the create's (Basic, the path's account SID and a token; else 401 20003), and
parameters outside the document get 400 70002. Fault profiles apply to sending only: the list is
never faulted or slowed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from sandbox.outbox import Outbox
from sandbox.state import STATE
from sandbox.twilio import (
    JSON_HEADERS,
    SentSms,
    contract_problem,
    error_response,
    resource,
    unauthorized,
)

DEFAULT_PAGE_SIZE = 50
FILTERS = ("To", "From", "DateSent", "DateSent<", "DateSent>")


class BadListRequest(ValueError):
    """A parameter the document allows but the sandbox cannot use; the message says which."""


async def list_messages(request: web.Request) -> web.Response:
    """GET /2010-04-01/Accounts/{AccountSid}/Messages.json."""
    state = request.app[STATE]
    refusal = unauthorized(request)
    if refusal is not None:
        return refusal.response
    problem = contract_problem(state.check_contract(request, b"").violations)
    if problem:
        return error_response(*problem)
    query = request.query
    try:
        days = {name: _gmt_day(name, query[name]) for name in FILTERS[2:] if name in query}
        page = _page(state.outbox, request.match_info["AccountSid"], query, days)
    except BadListRequest as exc:
        return error_response(400, 70002, f"Bad request: {exc}")
    return web.Response(body=json.dumps(page).encode(), headers=JSON_HEADERS)


def _page(
    outbox: Outbox, account_sid: str, query: Mapping[str, str], days: dict[str, date]
) -> dict[str, Any]:
    size = int(query.get("PageSize", DEFAULT_PAGE_SIZE))
    number = int(query.get("Page", 0))
    token = query.get("PageToken")
    listed = _listed(outbox, account_sid, query.get("To"), query.get("From"), days)
    if token is None:
        rows = _after(listed, None, number * size, size + 1)
    elif token[:2] == "PA":
        rows = _after(listed, token[2:], 0, size + 1)
    elif token[:2] == "PB":
        rows = _before(listed, token[2:], size)
    else:
        raise BadListRequest(f"PageToken {token!r} is not one this API gave out")
    more = len(rows) > size or (token is not None and token.startswith("PB"))
    rows = rows[:size]
    start = number * size
    base = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
    filters = [(name, query[name]) for name in FILTERS if name in query]

    def uri(page_number: int, page_token: str | None) -> str:
        params = [*filters, ("PageSize", str(size)), ("Page", str(page_number))]
        if page_token is not None:
            params.append(("PageToken", page_token))
        return f"{base}?{urlencode(params)}"

    previous = None
    if number > 0:
        previous = uri(number - 1, "PB" + rows[0].sid if rows else None)
    return {
        "end": start + max(len(rows) - 1, 0),
        "first_page_uri": uri(0, None),
        "messages": [resource(row) for row in rows],
        "next_page_uri": uri(number + 1, "PA" + rows[-1].sid) if more and rows else None,
        "page": number,
        "page_size": size,
        "previous_page_uri": previous,
        "start": start,
        "uri": uri(number, token),
    }


def _listed(
    outbox: Outbox, account_sid: str, to: str | None, from_: str | None, days: dict[str, date]
) -> Iterator[SentSms]:
    for entry in outbox.newest_first("sms", "accepted"):
        sms = entry.kept
        if (
            isinstance(sms, SentSms)
            and sms.account_sid == account_sid
            and (to is None or sms.to == to)
            and (from_ is None or sms.from_ == from_)
            and (not days or _on_days(sms, days))
        ):
            yield sms


def _after(listed: Iterator[SentSms], sid: str | None, skip: int, count: int) -> list[SentSms]:
    """count Messages after the one with this sid (from the newest when None), skipping skip."""
    if sid is not None:
        for sms in listed:
            if sms.sid == sid:
                break
        else:
            raise BadListRequest(f"PageToken PA{sid} names no Message of this list")
    rows: list[SentSms] = []
    for sms in listed:
        if skip:
            skip -= 1
            continue
        rows.append(sms)
        if len(rows) >= count:
            break
    return rows


def _before(listed: Iterator[SentSms], sid: str, count: int) -> list[SentSms]:
    """The count Messages just newer than the one with this sid, newest first."""
    newer: list[SentSms] = []
    for sms in listed:
        if sms.sid == sid:
            return newer[-count:]
        newer.append(sms)
    raise BadListRequest(f"PageToken PB{sid} names no Message of this list")


def _gmt_day(name: str, value: str) -> date:
    try:
        moment = datetime.fromisoformat(value.upper())  # the document checked it is RFC 3339
    except ValueError:
        raise BadListRequest(f"{name} {value!r} is not a date-time the sandbox reads") from None
    return moment.astimezone(UTC).date() if moment.tzinfo else moment.date()


def _on_days(sms: SentSms, days: dict[str, date]) -> bool:
    day = parsedate_to_datetime(sms.date_created).astimezone(UTC).date()
    on = days.get("DateSent")
    before = days.get("DateSent<")
    after = days.get("DateSent>")
    return (
        (on is None or day == on)
        and (before is None or day <= before)
        and (after is None or day >= after)
    )
