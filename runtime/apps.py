"""Faust plumbing every aftercart worker shares: one way to build an app, one way to run it."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Awaitable
from typing import Any

import faust
from faust.types import EventT
from faust.worker import Worker as FaustWorker

from runtime.logs import LogFormat, ids_in, use_log_format
from runtime.settings import Settings
from runtime.stall import FetchStall, watch_fetches
from runtime.transport import use_fetch_batching
from schemas.codec import encode
from schemas.deadletter import dead_letter

log = logging.getLogger(__name__)


def faust_app(app_id: str, settings: Settings, **extra: Any) -> faust.App:
    """A faust app configured from settings (no web server, raw bytes in and out)."""
    datadir = settings.data_dir / "faust" / app_id
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        key_serializer="raw",
        value_serializer="raw",
        store="memory://",
        datadir=str(datadir),
        topic_partitions=settings.topic_partitions,
        web_enabled=False,
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        # A worker that died (kill -9, a lost host) gives its partitions up after 10 s, not
        # faust's default 60 s: its customers' messages wait that long at most.
        broker_session_timeout=10.0,
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        producer_linger=settings.kafka_linger_ms / 1000,
        producer_max_batch_size=512 * 1024,
        **extra,
    )
    use_fetch_batching(app, settings)
    return app


async def produce(
    app: faust.App,
    topic: str,
    key: bytes | None,
    value: bytes | None,
    partition: int | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> Awaitable[Any]:
    """Queue one record on the app's producer: straight to the producer, not through a faust
    Topic or a table write (a third of each send's cost, measured in the stream processor).
    faust flushes this producer, acknowledgements included, before it commits the offsets of
    the message being processed, so the record is on Kafka before the message counts as done.
    The awaitable it returns resolves once Kafka has the record, for those who must wait."""
    send = app.producer.send
    return await send(topic, key, value, partition=partition, timestamp=None, headers=headers)


def dead_letter_of(message: EventT, reason: str, stage: str) -> bytes:
    """The dead-letter record, encoded, for a message a worker could not process."""
    log.warning(
        "dead-lettered %s offset %s: %s",
        message.message.topic,
        message.message.offset,
        reason,
        extra=ids_in(message.value),
    )
    record = dead_letter(
        reason=reason,
        stage=stage,
        topic=message.message.topic,
        partition=message.message.partition,
        offset=message.message.offset,
        key=message.key,
        original=message.value,
    )
    return encode(record)


STALLED_EXIT = 75  # EX_TEMPFAIL: started again, it works


def run_worker(app: faust.App, settings: Settings) -> None:
    """Run one faust app in the foreground until SIGINT/SIGTERM (or until its Kafka client
    is stuck: runtime/stall.py)."""
    if settings.kafka_stall_s:
        _exit_when_stalled(app, watch_fetches(settings.kafka_stall_s))
    # Everything built so far lives as long as the process: keep the collector off it, and
    # collect young objects less often (per-message garbage is short-lived and acyclic).
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    level = {"warning": "warn", "critical": "crit"}.get(settings.log_level, settings.log_level)
    worker = Worker(app, settings.log_format, loglevel=level, quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()


def _exit_when_stalled(app: faust.App, watch: FetchStall) -> None:
    @app.timer(5.0)
    async def stall_watch() -> None:
        why = watch.stalled()
        if why is not None:
            logging.getLogger(__name__).critical(
                "%s: exiting so that the supervisor starts this worker afresh", why
            )
            logging.shutdown()
            os._exit(STALLED_EXIT)


class Worker(FaustWorker):
    """faust's Worker, whose log handlers write in settings.log_format (runtime/logs.py). Its
    name is faust's, as its log lines name it ([^Worker])."""

    def __init__(self, app: faust.App, log_format: LogFormat, **options: Any) -> None:
        self.log_format = log_format
        super().__init__(app, **options)

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        """faust has just replaced the root logger's handlers with its own: format them."""
        super().on_setup_root_logger(logger, level)
        use_log_format(logger.handlers, self.log_format)
