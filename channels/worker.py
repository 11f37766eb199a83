"""A channel worker: notification requests in, one provider call per message, failures kept."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import faust

from aftercart.apps import dead_letter_of, faust_app
from aftercart.settings import Settings
from channels.base import Sender
from channels.errors import PermanentError
from channels.pipeline import Pipeline
from channels.registry import build_sender
from channels.render import Renderer
from channels.retry import Exhausted, RetryPolicy, Sleep, with_retries
from schemas.codec import InvalidMessage, decode_notification
from schemas.notification import NotificationRequest
from schemas.topics import Topics

log = logging.getLogger(__name__)
SenderFactory = Callable[[str, Settings], Sender[Any]]


class Delivery:
    """Delivers one request at a time, retrying what is worth retrying (channels/retry.py);
    channels/pipeline.py runs many at once, each customer's in order."""

    def __init__(
        self, channel: str, settings: Settings, sender: Sender[Any], *, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.channel = channel
        self.sender = sender
        self.sleep = sleep
        self.policy = RetryPolicy(max_attempts=settings.channel_max_attempts)
        self.limit = asyncio.Semaphore(settings.channel_concurrency)
        renderer = Renderer()
        ttl = settings.push_ttl_s
        self.render: Callable[[NotificationRequest], Any] = {
            "email": renderer.email,
            "sms": renderer.sms,
            "push": lambda request: renderer.push(request, ttl),
        }[channel]

    async def handle(self, event: faust.EventT) -> bytes | None:
        """Deliver one message; return the dead-letter record if it could not be delivered."""
        try:
            request = decode_notification(event.value)
        except InvalidMessage as exc:
            return self._dead(event, exc.reason)
        try:
            async with self.limit:
                await self.one(request)
        except PermanentError as exc:
            return self._dead(event, f"permanent: {exc}")
        except Exhausted as exc:
            return self._dead(event, str(exc), exc.history)
        except Exception as exc:  # a bug must not lose the message: keep it with the reason
            log.exception("unexpected failure delivering offset %s", event.message.offset)
            return self._dead(event, f"unexpected: {type(exc).__name__}: {exc}")
        return None

    async def one(self, request: NotificationRequest) -> None:
        """Render and send one request, retrying what is worth retrying."""
        message = self.render(request)
        receipt = await with_retries(
            lambda: self.sender.send(message), self.policy, sleep=self.sleep
        )
        log.debug("sent %s via %s: %s", request.notification_id, self.channel, receipt)

    def _dead(
        self, event: faust.EventT, reason: str, attempts: list[dict[str, Any]] | None = None
    ) -> bytes:
        return dead_letter_of(event, reason, f"channel-{self.channel}", attempts)


def create_channel_app(
    settings: Settings, channel: str, sender_factory: SenderFactory = build_sender
) -> faust.App:
    """Build the worker app for one channel (email, sms or push)."""
    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    app = faust_app(topics.channel_app_id(channel), settings)
    source = app.topic(topics.notify(channel))
    deadletters = app.topic(topics.deadletter)

    @app.agent(source)
    async def deliver(stream: faust.StreamT) -> None:
        delivery = Delivery(channel, settings, sender_factory(channel, settings))
        pipeline = Pipeline(settings.channel_in_flight)

        async def job(event: faust.EventT) -> None:
            dead = await delivery.handle(event)
            if dead is not None:
                await deadletters.send(value=dead)
            # Only now may the offset be committed (faust commits up to the first gap).
            event.ack()

        try:
            # noack: faust must not commit a message when the next one is taken, only once
            # it was delivered or dead-lettered.
            async for event in stream.noack().events():  # type: ignore[attr-defined]
                await pipeline.submit(event.key or b"", partial(job, event))
            await pipeline.drain()
        finally:
            await delivery.sender.close()

    return app
