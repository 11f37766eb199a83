"""The provider sandbox: one aiohttp server standing in for SendGrid, Twilio and push services.

Sending: SendGrid's POST /v3/mail/send, Twilio's POST .../Messages.json and the push endpoints.
Looking up what was sent (for a worker that lost a provider's answer): SendGrid's Email Activity,
GET /v3/messages, and Twilio's Messages list, GET .../Messages.json. Fault profiles apply to
sending only.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from sandbox import activity, push_service, sendgrid, smtp, twilio, twilio_list
from sandbox.contracts import Contracts
from sandbox.faults import ChannelProfile, Faults, check_channel
from sandbox.outbox import DEFAULT_LIMIT, FIELDS, Outbox
from sandbox.state import STATE, SandboxState

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 32 * 1024 * 1024  # SendGrid takes mail/send bodies up to 30 MB
GC_YOUNG_THRESHOLD = 10_000  # allocations between young collections (CPython's default: 700)
# Operations compiled before the first request (any valid-looking account SID selects the route).
_MESSAGES = "/2010-04-01/Accounts/AC" + "0" * 32 + "/Messages.json"
PROVIDER_OPERATIONS = (
    ("POST", "/v3/mail/send"),
    ("GET", "/v3/messages"),
    ("POST", _MESSAGES),
    ("GET", _MESSAGES),
)


def create_sandbox_app(
    base_url: str, *, faults: Faults | None = None, outbox_limit: int = DEFAULT_LIMIT
) -> web.Application:
    """The sandbox application; base_url is how clients reach it (push endpoints and VAPID aud)."""
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[STATE] = SandboxState(base_url, outbox=Outbox(outbox_limit), faults=faults or Faults())
    app.on_startup.append(_load_contracts)
    app.router.add_post("/v3/mail/send", sendgrid.mail_send)
    app.router.add_get("/v3/messages", activity.get_messages, allow_head=False)
    app.router.add_post("/2010-04-01/Accounts/{AccountSid}/Messages.json", twilio.create_message)
    app.router.add_get(
        "/2010-04-01/Accounts/{AccountSid}/Messages.json",
        twilio_list.list_messages,
        allow_head=False,
    )
    app.router.add_post("/push/subscribers", push_service.create_subscriber)
    app.router.add_delete("/push/subscribers/{id}", push_service.delete_subscriber)
    app.router.add_post("/push/{id}", push_service.push_message)
    app.router.add_get("/outbox", get_outbox)
    app.router.add_get("/outbox/stats", get_outbox_stats)
    app.router.add_delete("/outbox", delete_outbox)
    app.router.add_get("/faults", get_faults)
    app.router.add_put("/faults/{channel}", put_faults)
    app.router.add_delete("/faults/{channel}", delete_faults)
    app.router.add_delete("/faults", delete_faults)
    app.router.add_get("/contracts/stats", get_contract_stats)
    app.router.add_get("/healthz", healthz)
    return app


async def _load_contracts(app: web.Application) -> None:
    # Off the event loop: reading and checking both documents takes about 4 s.
    def load() -> Contracts:
        contracts = Contracts.load()
        for method, path in PROVIDER_OPERATIONS:
            contracts.prepare(method, path)
        return contracts

    app[STATE].contracts = await asyncio.get_running_loop().run_in_executor(None, load)


async def get_outbox(request: web.Request) -> web.Response:
    """GET /outbox?since=&channel=&status=&limit=&fields=: received messages, oldest first
    (fields: comma-separated names, to serve only those of each message)."""
    query = request.query
    try:
        since = int(query.get("since", "0"))
        limit = int(query["limit"]) if "limit" in query else None
    except ValueError:
        return web.json_response({"error": "since and limit must be integers"}, status=400)
    fields = query["fields"].split(",") if "fields" in query else FIELDS
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        known = ", ".join(FIELDS)
        return web.json_response({"error": f"unknown fields {unknown}; known: {known}"}, status=400)
    outbox = request.app[STATE].outbox
    entries = outbox.messages(
        since=since, channel=query.get("channel"), status=query.get("status"), limit=limit
    )
    return web.json_response(
        {"messages": [e.to_dict(fields) for e in entries], "last_seq": outbox.stats()["last_seq"]}
    )


async def get_outbox_stats(request: web.Request) -> web.Response:
    """GET /outbox/stats: counts per channel and status, and the last seq (cheap to poll)."""
    return web.json_response(request.app[STATE].outbox.stats())


async def delete_outbox(request: web.Request) -> web.Response:
    """DELETE /outbox: forget everything received so far."""
    request.app[STATE].outbox.clear()
    return web.Response(status=204)


async def get_faults(request: web.Request) -> web.Response:
    """GET /faults: the fault profile of each channel that has one."""
    profiles = request.app[STATE].faults.profiles()
    return web.json_response({channel: p.to_json() for channel, p in profiles.items()})


async def put_faults(request: web.Request) -> web.Response:
    """PUT /faults/{channel}: make a channel misbehave; answers the profile as it now holds."""
    channel = request.match_info["channel"]
    try:
        check_channel(channel)
    except LookupError as exc:
        return web.json_response({"error": str(exc)}, status=404)
    try:
        profile = ChannelProfile.from_json(await request.json())
    except ValueError as exc:  # a body that is not JSON is a ValueError too
        return web.json_response({"error": f"{channel}: {exc}"}, status=400)
    request.app[STATE].faults.set(channel, profile)
    return web.json_response(profile.to_json())


async def delete_faults(request: web.Request) -> web.Response:
    """DELETE /faults/{channel} or /faults: the channel, or every channel, behaves again."""
    try:
        request.app[STATE].faults.clear(request.match_info.get("channel"))
    except LookupError as exc:
        return web.json_response({"error": str(exc)}, status=404)
    return web.Response(status=204)


async def get_contract_stats(request: web.Request) -> web.Response:
    """GET /contracts/stats: requests checked per operation and the time each check took."""
    contracts = request.app[STATE].contracts
    return web.json_response(contracts.timings() if contracts else {})


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz."""
    return web.json_response({"status": "ok"})


def run_sandbox(
    host: str,
    port: int,
    *,
    public_url: str | None = None,
    faults: Mapping[str, Any] | None = None,
    smtp_port: int | None = None,
) -> None:
    """Serve the sandbox until SIGINT or SIGTERM (blocking; for `aftercart sandbox`).

    faults: fault profiles by channel, as PUT /faults/{channel} takes them, from the start.
    smtp_port: where the SMTP server listens (loopback), recording into the same outbox.
    """
    reachable_host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    base_url = public_url or f"http://{reachable_host}:{port}"
    app = create_sandbox_app(base_url, faults=Faults.from_json(faults or {}))

    async def announce(app: web.Application) -> None:
        # The documents and their compiled checks live as long as the process: keep the garbage
        # collector from walking their hundreds of thousands of objects in every full collection,
        # and collect the young generation less often (every request allocates dozens of objects).
        gc.freeze()
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
        routes = "SendGrid host, Twilio base_url, push endpoints under /push/"
        print(f"provider sandbox ready on {base_url} ({routes})", flush=True)
        faulty = sorted(app[STATE].faults.profiles())
        if faulty:
            print(f"fault profiles for {', '.join(faulty)} (GET /faults)", flush=True)

    app.on_startup.append(announce)
    if smtp_port is not None:
        app.cleanup_ctx.append(smtp.serving_smtp("127.0.0.1", smtp_port))
    # run_app turns SIGINT and SIGTERM into a graceful shutdown; no access log: it costs throughput.
    web.run_app(app, host=host, port=port, access_log=None, print=None, shutdown_timeout=5)
