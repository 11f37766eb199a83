"""What the sandbox's handlers share: the state kept on the aiohttp application, and the checks
every provider makes of a send before its own rules."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlsplit

from aiohttp import web

from sandbox.contracts import CheckResult, Contracts, RequestParts
from sandbox.faults import Fault, Faults
from sandbox.outbox import Outbox
from sandbox.push_browser import Subscribers, VapidVerifier


@dataclass
class SandboxState:
    """The outbox, the push subscribers, the contracts and the fault profile of one sandbox."""

    base_url: str
    outbox: Outbox = field(default_factory=Outbox)
    subscribers: Subscribers = field(default_factory=Subscribers)
    faults: Faults = field(default_factory=Faults)
    contracts: Contracts | None = None  # loaded on startup, not at import or construction
    vapid: VapidVerifier = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        url = urlsplit(self.base_url)
        self.vapid = VapidVerifier(audience=f"{url.scheme}://{url.netloc}")

    async def fault(self, channel: str) -> Fault | None:
        """Apply the channel's fault profile to one request: the fault to answer, or None."""
        delay_s, fault = self.faults.draw(channel)
        if fault is not None:
            # Recorded as it happens and never as accepted: what the bench and the tests count as
            # delivered is the accepted entries, so a faulted attempt must stay apart from them.
            self.outbox.record(channel, "faulted", error=fault.describe())
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        return fault

    def check_contract(self, request: web.Request, body: bytes) -> CheckResult:
        """Check a provider request against the providers' documents."""
        if self.contracts is None:
            raise RuntimeError("contracts are loaded on startup; the app has not started")
        parts = RequestParts(
            method=request.method,
            path=request.path,
            query=request.query,
            headers=request.headers,
            body=body,
            content_type=request.headers.get("Content-Type", ""),
        )
        return self.contracts.check(parts)


STATE = web.AppKey("sandbox_state", SandboxState)


class Refusal(NamedTuple):
    """A provider's answer to credentials it does not take, and the error the outbox records."""

    response: web.Response
    error: str  # "401 ..." in the provider's words


async def admit(
    request: web.Request,
    channel: str,
    fault_response: Callable[[Fault], web.Response],
    check_credentials: Callable[[web.Request], Refusal | None],
) -> web.Response | CheckResult:
    """The checks every provider makes of a send before its own rules, in the order it makes them:
    an injected fault, the credentials, the document. The answer that ends the request (a refused
    one recorded as rejected), or the document's verdict on the body."""
    state = request.app[STATE]
    fault = await state.fault(channel)
    if fault is not None:
        return fault_response(fault)
    body = await request.read()
    refusal = check_credentials(request)
    if refusal is not None:  # the key is checked before the body is
        state.outbox.record(channel, "rejected", error=refusal.error)
        return refusal.response
    return state.check_contract(request, body)
