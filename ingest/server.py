"""Run the gateway: connect to Kafka, remember what was accepted, then serve (uvicorn)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import uvicorn
from fastapi import FastAPI

from aftercart.settings import Settings
from ingest.accept import Intake
from ingest.dedupe import SeenEvents, load_seen
from ingest.gateway import create_gateway
from ingest.sink import KafkaSink
from schemas.topics import Topics

log = logging.getLogger(__name__)


def build_gateway(settings: Settings) -> FastAPI:
    """The gateway app; it answers 503 until Kafka is reached and its memory is loaded."""
    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    intake = Intake(topics, SeenEvents(settings.dedupe_window_h * 3600))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(connect(settings, intake))
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            if isinstance(intake.sink, KafkaSink):
                await asyncio.to_thread(intake.sink.close)

    return create_gateway(settings, intake, lifespan=lifespan)


async def connect(settings: Settings, intake: Intake, retry_s: float = 2.0) -> None:
    """Open the producer and read back the dedupe window; retry until Kafka answers."""
    topics = intake.topics
    while True:
        try:
            sink = await asyncio.to_thread(_open, settings, topics, intake.seen)
        except Exception as exc:
            log.warning("gateway waiting for Kafka at %s: %s", settings.kafka_bootstrap, exc)
            await asyncio.sleep(retry_s)
            continue
        intake.sink = sink
        log.info("gateway ready: %d accepted events remembered", len(intake.seen))
        return


def _open(settings: Settings, topics: Topics, seen: SeenEvents) -> KafkaSink:
    sink = KafkaSink(settings.kafka_bootstrap, timeout_s=settings.ingest_timeout_s)
    try:
        sink.warm([topics.events, topics.deadletter])
        load_seen(settings.kafka_bootstrap, topics.events, seen)
    except BaseException:
        sink.close()
        raise
    return sink


def run_gateway(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM."""
    config = uvicorn.Config(
        build_gateway(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level="warning",
        server_header=False,
    )
    uvicorn.Server(config).run()
