"""A channel worker: notification requests in, one provider call per message, failures kept.

Two agents share one Delivery (channels/delivery.py). `deliver` reads
`<prefix>.notify.<channel>` and makes each request's first attempt as it arrives. A retriable
failure is not waited out there: the request goes to `<prefix>.retry.<channel>` as a retry
record (schemas/retry.py) saying when it is due, and the message is acknowledged, so its
partition goes on. `redeliver` reads the retry topic, lets each record wait until it is due
without holding up the others, and makes its next attempt through the same
`Delivery.attempt`; until the retry window is used up (channels/retry.py), then the request
is dead-lettered with every attempt's failure. Both agents share the channel's circuit breaker
(channels/breaker.py), which holds messages on the retry topic while the provider keeps failing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any

import faust

from channels.base import Sender
from channels.delivery import Clock, Delivery, utc_now
from channels.ledger import Ledger, Write
from channels.metrics import ChannelMetrics
from channels.outcome import Outcome, follow_ups
from channels.pipeline import take_in_order
from channels.registry import Wrap, build_sender
from channels.render import Renderer
from runtime.apps import faust_app, produce
from runtime.endpoint import serve_worker
from runtime.metrics import new_registry
from runtime.settings import Settings
from schemas.topics import Topics

log = logging.getLogger(__name__)
SenderFactory = Callable[[str, Settings, Wrap], Sender[Any]]
Handle = Callable[[faust.EventT, Ledger], Awaitable[Outcome]]


def by_customer(event: faust.EventT) -> bytes:
    """The pipeline key of a notify message: its customer, whose messages go in order."""
    return event.key or b""


def by_record(event: faust.EventT) -> bytes:
    """The pipeline key of a retry record: its own place, so no record waits for another."""
    return f"{event.message.partition}/{event.message.offset}".encode()


def ledger_writer(app: faust.App, changelog: str) -> Write:
    """Ledger records written in the message's partition, as faust's own table write would
    put them, but by the producer's fast path (the table write cost a channel worker about a
    third more CPU per message)."""

    async def write(partition: int, key: bytes, value: bytes | None) -> Awaitable[Any]:
        return await produce(app, changelog, key, value, partition)

    return write


def create_channel_app(
    settings: Settings,
    channel: str,
    sender_factory: SenderFactory = build_sender,
    clock: Clock = utc_now,
    renderer: Renderer | None = None,
) -> faust.App:
    """Build the worker app for one channel (email, sms or push); renderer: the shop's brand
    and templates, as the settings give them when none is handed in."""
    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    app = faust_app(topics.channel_app_id(channel), settings)
    registry = new_registry()
    metrics = ChannelMetrics(registry, channel)
    serve_worker(app, registry, settings, channel)
    source = app.topic(topics.notify(channel))
    retries = app.topic(topics.retry(channel))
    table = app.Table("ledger")
    sender = sender_factory(channel, settings, metrics.timed)
    delivery = Delivery(channel, settings, sender, clock=clock, renderer=renderer)
    ledger = Ledger(table.data, ledger_writer(app, topics.ledger(channel)), clock)
    keep = timedelta(hours=settings.ledger_keep_h)

    @app.timer(settings.ledger_prune_every_s)
    async def prune() -> None:
        """Forget ledger entries older than any message that could still be replayed."""
        if pruned := await ledger.prune(keep):
            log.info("ledger: %d entries older than %s pruned", pruned, keep)

    async def finish(handle: Handle, event: faust.EventT) -> None:
        """Handle one message, and queue what it leads to before it is acknowledged."""
        outcome = await handle(event, ledger)
        metrics.count(outcome)
        for record in follow_ups(outcome, topics, channel, event.key, event.message.partition):
            await produce(app, *record)

    async def consume(
        name: str, stream: faust.StreamT, handle: Handle, key: Callable[[faust.EventT], bytes]
    ) -> None:
        async with delivery.in_use(name):
            # noack: faust must not commit a message when the next one is taken, only once
            # it was delivered, put on the retry topic or dead-lettered.
            events = stream.noack().events()  # type: ignore[attr-defined]
            await take_in_order(events, key, partial(finish, handle), settings.channel_in_flight)

    @app.agent(source)
    async def deliver(stream: faust.StreamT) -> None:
        """First attempts, each customer's in order."""
        await consume("deliver", stream, delivery.handle, by_customer)

    @app.agent(retries)
    async def redeliver(stream: faust.StreamT) -> None:
        """Next attempts, each record on its own: one due later holds up none due sooner."""
        await consume("redeliver", stream, delivery.handle_retry, by_record)

    return app
