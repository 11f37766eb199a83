"""Twilio's Messages list in the sandbox, read through the twilio SDK's asyncio client the way the
SMS worker reads it after a crash: has Twilio already got this text?"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from openapi_core.testing import MockRequest, MockResponse
from sandbox_http import call, document
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client
from twilio.rest.api.v2010.account.message import MessageList

from sandbox.testing import SandboxHandle

SID = "AC" + "0123456789abcdef" * 2
OTHER_SID = "AC" + "f" * 32
TOKEN = "token-not-a-secret"
SHOP = "+15005550006"
JANE, BOB = "+15551234567", "+15557654321"
MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"


@asynccontextmanager
async def account(sandbox: SandboxHandle, token: str = TOKEN) -> AsyncIterator[MessageList]:
    """The account's Messages, as channels/twilio_sms.py builds them against the sandbox (in the
    test's own loop: the SDK's aiohttp session belongs to it)."""
    http = AsyncTwilioHttpClient()
    client = Client(SID, token, http_client=http, environment={})
    client.api.base_url = sandbox.base_url
    try:
        yield client.api.account.messages
    finally:
        await http.close()


def raw(
    sandbox: SandboxHandle,
    method: str,
    params: dict[str, str],
    *,
    user: str = SID,
    account: str = SID,
) -> tuple[int, Any]:
    """One request to the account's Messages.json: the status and decoded JSON."""
    auth = base64.b64encode(f"{user}:{TOKEN}".encode()).decode()
    url = f"{sandbox.base_url}/2010-04-01/Accounts/{account}/Messages.json"
    headers = {"Authorization": f"Basic {auth}"}
    data = None
    if method == "POST":
        data = urlencode(params).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:
        url += f"?{urlencode(params)}"
    return call(urllib.request.Request(url, data, headers, method=method))


async def test_the_worker_finds_the_created_message(sandbox: SandboxHandle) -> None:
    async with account(sandbox) as messages:
        created = await messages.create_async(to=JANE, from_=SHOP, body="Your order shipped.")
        await messages.create_async(to=BOB, from_=SHOP, body="Your order shipped.")

        [found] = await messages.list_async(to=JANE, from_=SHOP, limit=20)

    assert (found.sid, found.body, found.to, found.from_) == (
        created.sid,
        "Your order shipped.",
        JANE,
        SHOP,
    )
    assert (found.status, found.date_created) == ("queued", created.date_created)
    assert (found.date_sent, found.uri) == (None, created.uri)


def test_each_listed_message_is_what_the_create_answered(sandbox: SandboxHandle) -> None:
    status, created = raw(sandbox, "POST", {"To": JANE, "From": SHOP, "Body": "Ready for pickup"})
    assert status == 201

    status, page = raw(sandbox, "GET", {"To": JANE})

    assert status == 200
    assert page == {
        "end": 0,
        "first_page_uri": f"{MESSAGES}?To=%2B15551234567&PageSize=50&Page=0",
        "messages": [created],
        "next_page_uri": None,
        "page": 0,
        "page_size": 50,
        "previous_page_uri": None,
        "start": 0,
        "uri": f"{MESSAGES}?To=%2B15551234567&PageSize=50&Page=0",
    }
    request = MockRequest("https://api.twilio.com", "get", MESSAGES)
    response = MockResponse(json.dumps(page).encode(), status_code=200)
    document("twilio_api_v2010.json").validate_response(request, response)  # raises on a mismatch


async def test_other_numbers_and_accounts_are_not_listed(sandbox: SandboxHandle) -> None:
    raw(sandbox, "POST", {"To": JANE, "From": SHOP, "Body": "x" * 1601})  # rejected: 21617
    async with account(sandbox) as messages:
        await messages.create_async(to=JANE, from_=SHOP, body="Hello")

        assert await messages.list_async(to=BOB, from_=SHOP, limit=20) == []
        assert await messages.list_async(to=JANE, from_="+15005550007", limit=20) == []
        assert len(await messages.list_async(to=JANE, limit=20)) == 1
    status, page = raw(sandbox, "GET", {"To": JANE}, user=OTHER_SID, account=OTHER_SID)
    assert (status, page["messages"]) == (200, [])


async def test_pages_of_two_reach_every_message_newest_first(sandbox: SandboxHandle) -> None:
    async with account(sandbox) as messages:
        sids = [
            (await messages.create_async(to=JANE, from_=SHOP, body=f"Message {i}")).sid
            for i in range(5)
        ]
        everything = await messages.list_async(to=JANE, from_=SHOP, page_size=2)
        some = await messages.list_async(to=JANE, from_=SHOP, limit=3, page_size=2)

    newest_first = sids[::-1]
    assert [m.sid for m in everything] == newest_first
    assert [m.sid for m in some] == newest_first[:3]


def test_page_uris_lead_through_the_list(sandbox: SandboxHandle) -> None:
    sids = [
        raw(sandbox, "POST", {"To": JANE, "From": SHOP, "Body": f"{i}"})[1]["sid"] for i in range(5)
    ]
    newest_first = sids[::-1]

    first = raw(sandbox, "GET", {"To": JANE, "PageSize": "2"})[1]
    assert [m["sid"] for m in first["messages"]] == newest_first[:2]
    assert (first["page"], first["start"], first["end"], first["previous_page_uri"]) == (
        0,
        0,
        1,
        None,
    )
    next_query = parse_qs(urlsplit(first["next_page_uri"]).query)
    assert next_query == {
        "To": [JANE],
        "PageSize": ["2"],
        "Page": ["1"],
        "PageToken": ["PA" + newest_first[1]],
    }
    second = follow(sandbox, first["next_page_uri"])
    assert [m["sid"] for m in second["messages"]] == newest_first[2:4]
    assert (second["page"], second["start"], second["end"]) == (1, 2, 3)
    third = follow(sandbox, second["next_page_uri"])
    assert [m["sid"] for m in third["messages"]] == newest_first[4:]
    assert third["next_page_uri"] is None
    back = follow(sandbox, third["previous_page_uri"])
    assert [m["sid"] for m in back["messages"]] == newest_first[2:4]
    by_number = raw(sandbox, "GET", {"To": JANE, "PageSize": "2", "Page": "2"})[1]
    assert [m["sid"] for m in by_number["messages"]] == newest_first[4:]


def follow(sandbox: SandboxHandle, uri: str) -> Any:
    """GET a page URI the way the SDK follows it: the sandbox's base URL and the URI."""
    auth = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    req = urllib.request.Request(sandbox.base_url + uri, headers={"Authorization": f"Basic {auth}"})
    with urllib.request.urlopen(req) as response:
        return json.loads(response.read())


async def test_date_sent_filters_count_gmt_days(sandbox: SandboxHandle) -> None:
    async with account(sandbox) as messages:
        created = await messages.create_async(to=JANE, from_=SHOP, body="Hello")
        assert created.date_created is not None
        day = created.date_created.astimezone(UTC).replace(hour=12, minute=0, second=0)
        before, after = day - timedelta(days=1), day + timedelta(days=1)

        async def listed(**dates: datetime) -> int:
            return len(await messages.list_async(to=JANE, limit=20, **dates))

        assert await listed(date_sent=day) == 1  # the same GMT day, whatever the time
        assert await listed(date_sent_after=day, date_sent_before=day) == 1  # the day is in
        assert await listed(date_sent_after=before, date_sent_before=after) == 1
        assert await listed(date_sent=before) == 0
        assert await listed(date_sent_before=before) == 0
        assert await listed(date_sent_after=after) == 0


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"PageSize": "0"}, "PageSize: 0 is less than the minimum of 1"),
        ({"PageSize": "1001"}, "PageSize: 1001 is greater than the maximum of 1000"),
        ({"Page": "-1"}, "Page: -1 is less than the minimum of 0"),
        # The document types DateSent as date-time, though its prose and examples use dates.
        ({"DateSent": "2008-01-02"}, "DateSent: '2008-01-02' is not a 'date-time'"),
        ({"PageToken": "XX123"}, "PageToken 'XX123' is not one this API gave out"),
        ({"PageToken": "PASM" + "0" * 32}, "names no Message of this list"),
    ],
)
def test_parameters_the_list_cannot_use_are_a_400(
    sandbox: SandboxHandle, params: dict[str, str], says: str
) -> None:
    status, error = raw(sandbox, "GET", params)

    assert (status, error["code"], error["status"]) == (400, 70002, 400)
    assert says in error["message"]


async def test_bad_credentials_get_what_the_create_gives_them(sandbox: SandboxHandle) -> None:
    creating = raw(sandbox, "POST", {"To": JANE, "From": SHOP, "Body": "x"}, user=OTHER_SID)
    before = sandbox.stats()["total"]

    listing = raw(sandbox, "GET", {"To": JANE}, user=OTHER_SID)

    assert listing == creating
    assert listing[0] == 401 and listing[1]["code"] == 20003
    assert sandbox.stats()["total"] == before  # a lookup is not a message
    # The SDK turns a list page's 401 into a plain TwilioException, not a TwilioRestException.
    async with account(sandbox, token="") as messages:
        with pytest.raises(TwilioException) as raised:
            await messages.list_async(to=JANE, limit=20)
    assert not isinstance(raised.value, TwilioRestException)


async def test_lookups_are_never_faulted(sandbox: SandboxHandle) -> None:
    async with account(sandbox) as messages:
        created = await messages.create_async(to=JANE, from_=SHOP, body="Hello")
        sandbox.set_faults("sms", {"errors": {"503": 0.5}, "rate_limit": 0.5, "latency_ms": 2000})
        try:
            found = await messages.list_async(to=JANE, from_=SHOP, limit=20)
        finally:
            sandbox.clear_faults()

    assert [m.sid for m in found] == [created.sid]
    assert sandbox.stats()["channels"]["sms"]["faulted"] == 0
