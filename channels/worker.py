"""A channel worker: notification requests in, one provider call per message, failures kept."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import faust

from aftercart.apps import dead_letter_of, faust_app
from aftercart.settings import Settings
from channels.base import Sender
from channels.errors import PermanentError
from channels.registry import build_sender
from channels.render import Renderer
from channels.retry import Exhausted, RetryPolicy, Sleep, with_retries
from schemas.codec import InvalidMessage, decode_notification
from schemas.notification import NotificationRequest
from schemas.topics import Topics

log = logging.getLogger(__name__)
SenderFactory = Callable[[str, Settings], Sender[Any]]


class Delivery:
    """Delivers one batch of requests: customers in parallel, each customer's in order."""

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

    async def batch(self, events: Sequence[faust.EventT]) -> list[bytes]:
        """Deliver a batch; return the dead-letter records for what could not be delivered."""
        failed: list[bytes] = []
        by_customer: dict[str, list[tuple[faust.EventT, NotificationRequest]]] = defaultdict(list)
        for event in events:
            try:
                request = decode_notification(event.value)
            except InvalidMessage as exc:
                failed.append(self._dead(event, exc.reason))
                continue
            by_customer[request.customer_id].append((event, request))
        results = await asyncio.gather(*(self._in_order(items) for items in by_customer.values()))
        for dead in results:
            failed.extend(dead)
        return failed

    async def _in_order(self, items: list[tuple[faust.EventT, NotificationRequest]]) -> list[bytes]:
        dead = []
        for event, request in items:
            try:
                async with self.limit:
                    await self.one(request)
            except PermanentError as exc:
                dead.append(self._dead(event, f"permanent: {exc}"))
            except Exhausted as exc:
                dead.append(self._dead(event, str(exc), exc.history))
        return dead

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
        try:
            async for events in stream.take_events(  # type: ignore[attr-defined]
                settings.channel_batch, within=0.02
            ):
                for record in await delivery.batch(events):
                    await deadletters.send(value=record)
        finally:
            await delivery.sender.close()

    return app
