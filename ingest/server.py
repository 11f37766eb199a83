"""Run the gateway: connect to Kafka, remember what was accepted, then serve (uvicorn)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Protocol

import uvicorn

from ingest.accept import Intake
from ingest.dedupe import SeenEvents, load_seen
from ingest.gateway import Pages, create_gateway
from ingest.metrics import GatewayMetrics
from ingest.openings import openings
from ingest.routes.notifications import NotificationLookup
from ingest.sink import KafkaSink
from ingest.web import App
from runtime.metrics import new_registry
from runtime.settings import Settings
from schemas.topics import Topics

log = logging.getLogger(__name__)


class Service(Protocol):
    """Something the gateway runs beside its routes while it serves (following topics)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def build_gateway(
    settings: Settings,
    lookup: NotificationLookup | None = None,
    pages: Pages | None = None,
    services: Sequence[Service] = (),
) -> App:
    """The gateway app; it answers 503 until Kafka is reached and its memory is loaded. With
    a lookup, it serves the notifications API and follows the topics while it runs; with
    pages, their routes, and the services they read from run as long as it does."""
    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    metrics = GatewayMetrics(new_registry())
    seen = SeenEvents(settings.dedupe_window_h * 3600, max_entries=settings.dedupe_max_entries)
    intake = Intake(topics, seen, metrics=metrics)

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        for route in openings(settings):
            log.info("gateway %s: %s", route.name, route.line())
        task = asyncio.create_task(connect(settings, intake))
        running = [*([lookup] if lookup is not None else []), *services]
        for service in running:
            await service.start()
        try:
            yield
        finally:
            for service in running:
                await service.stop()
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            if isinstance(intake.sink, KafkaSink):
                await intake.sink.stop()

    return create_gateway(settings, intake, lifespan=lifespan, lookup=lookup, pages=pages)


async def connect(settings: Settings, intake: Intake, retry_s: float = 2.0) -> None:
    """Open the producer and read back the dedupe window; retry until Kafka answers."""
    topics = intake.topics
    while True:
        sink = KafkaSink(settings.kafka_bootstrap, timeout_s=settings.ingest_timeout_s)
        try:
            await sink.start([topics.events, topics.deadletter, topics.receipts])
            try:
                await asyncio.to_thread(
                    load_seen, settings.kafka_bootstrap, topics.events, intake.seen
                )
            except BaseException:
                await sink.stop()
                raise
        except Exception as exc:
            log.warning("gateway waiting for Kafka at %s: %s", settings.kafka_bootstrap, exc)
            await asyncio.sleep(retry_s)
            continue
        intake.sink = sink
        log.info("gateway ready: %d accepted events remembered", len(intake.seen))
        return


def run_gateway(
    settings: Settings,
    lookup: NotificationLookup | None = None,
    pages: Pages | None = None,
    services: Sequence[Service] = (),
) -> None:
    """Serve until SIGINT/SIGTERM."""
    # What is built at start lives as long as the process: keep the collector off it, and
    # collect young objects less often (per-request garbage is short-lived and acyclic).
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    app = build_gateway(settings, lookup, pages, services)
    uvicorn.Server(server_config(settings, app)).run()


def server_config(settings: Settings, app: App) -> uvicorn.Config:
    """How uvicorn serves the gateway: its address, and the limits that keep a slow or idle
    client from holding it."""
    return uvicorn.Config(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_config=None,  # its lines go to the process's own handlers (settings.log_format)
        log_level="warning",
        server_header=False,
        date_header=False,
        proxy_headers=False,  # behind a proxy, nothing here uses the client's address
        # Slow or idle clients must not hold the gateway: past this many connections a new
        # one is answered 503, an idle one is closed, and a body is read within a deadline
        # (ingest/web.py).
        limit_concurrency=settings.gateway_max_connections,
        timeout_keep_alive=settings.gateway_keep_alive_s,
    )
