"""A client that drips its body against a real uvicorn server on a loopback port: cut off with
a 408 within the read deadline, while the gateway goes on answering everyone else."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from ingesting import NEW_SECRET, SHOP
from pydantic import SecretStr

from ingest.accept import Intake
from ingest.gateway import create_gateway
from ingest.server import server_config
from runtime.settings import Settings

DEADLINE_S = 2.0


@asynccontextmanager
async def served(intake: Intake) -> AsyncIterator[int]:
    """The gateway under uvicorn as `aftercart gateway` configures it, on a free port (in
    the test's own event loop)."""
    settings = Settings(
        gateway_port=0,
        gateway_read_timeout_s=DEADLINE_S,
        shopify_secrets={SHOP: [SecretStr(NEW_SECRET)]},
    )
    config = server_config(settings, create_gateway(settings, intake))
    config.lifespan = "off"
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    await server.startup()  # listening from here; asyncio serves it in the background
    yield server.servers[0].sockets[0].getsockname()[1]
    await asyncio.wait_for(server.shutdown(), 10)


async def drip(port: int, sent: list[int]) -> bytes:
    """Headers at once, then the promised body one byte a second; all the server answers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /webhooks/shopify HTTP/1.1\r\nHost: gateway\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )

    async def send() -> None:
        while True:
            writer.write(b" ")
            await writer.drain()
            sent[0] += 1
            await asyncio.sleep(1)  # the input's pace, not a wait for the server

    sending = asyncio.create_task(send())
    try:
        answer = await reader.read(65536)  # the answer, once the server gives one
        sending.cancel()
        try:
            answer += await reader.read()  # then nothing more: the server closed it
        except ConnectionResetError:  # or reset it, a dripped byte arriving after it closed
            pass
        return answer
    finally:
        sending.cancel()
        writer.close()


async def test_a_client_dripping_its_body_is_cut_off_with_408_within_the_deadline(
    intake: Intake,
) -> None:
    sent = [0]
    async with served(intake) as port:
        started = time.monotonic()
        dripping = asyncio.create_task(drip(port, sent))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as others:
            for _ in range(3):  # meanwhile, others are answered at once
                answer = await asyncio.wait_for(others.get("/healthz"), 1)
                assert answer.status_code == 200
        assert not dripping.done()  # answered while the slow one still holds its connection
        answer = await asyncio.wait_for(dripping, DEADLINE_S + 3)
        took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"error":"the body did not arrive within 2 s"' in answer
    assert DEADLINE_S - 0.5 < took < DEADLINE_S + 1.5
    assert sent[0] <= DEADLINE_S + 2  # a few bytes went in; the rest never will


def test_uvicorn_is_given_the_connection_limits(intake: Intake) -> None:
    settings = Settings(gateway_max_connections=50, gateway_keep_alive_s=3)
    config = server_config(settings, create_gateway(settings, intake))
    assert config.limit_concurrency == 50
    assert config.timeout_keep_alive == 3
