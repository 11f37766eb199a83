"""A channel worker: notification requests in, one provider call per message, failures kept."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import faust

from aftercart.apps import dead_letter_of, faust_app, produce
from aftercart.settings import Settings
from channels.base import Sender
from channels.errors import PermanentError
from channels.feedback import contact_failure
from channels.guard import SendGuard
from channels.ledger import Ledger, is_sent, sending_since
from channels.limits import TokenBucket
from channels.messages import Receipt, SmsMessage
from channels.pause import ChannelPause
from channels.pipeline import Pipeline
from channels.registry import build_sender
from channels.render import Renderer
from channels.retry import Exhausted, RetryPolicy, Sleep, with_retries
from channels.sms_segments import segments
from schemas.codec import InvalidMessage, decode_notification, encode
from schemas.events import CloudEvent
from schemas.notification import NotificationRequest
from schemas.topics import Topics

log = logging.getLogger(__name__)
SenderFactory = Callable[[str, Settings], Sender[Any]]


@dataclass(frozen=True)
class Outcome:
    """What became of one message: delivered (receipt), already delivered (skipped), or kept
    on the dead-letter topic (dead), with what the provider said about the contact point."""

    request: NotificationRequest | None = None
    receipt: Receipt | None = None
    skipped: bool = False
    found: bool = False  # the provider had it from an attempt whose answer was lost
    dead: bytes | None = None
    feedback: CloudEvent | None = None  # contact.failed, for the stream processor to act on


class Delivery:
    """Delivers one request at a time, retrying what is worth retrying (channels/retry.py);
    channels/pipeline.py runs many at once, each customer's in order."""

    def __init__(
        self,
        channel: str,
        settings: Settings,
        sender: Sender[Any],
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.channel = channel
        self.sender = sender
        self.sleep = sleep
        self.clock = clock
        self.lookup_after_s = settings.channel_lookup_after_s
        self.policy = RetryPolicy(max_attempts=settings.channel_max_attempts)
        self.pause = ChannelPause(channel)  # while the provider refuses our configuration
        rate = {
            "email": settings.email_per_s,
            "sms": settings.sms_segments_per_s,
            "push": settings.push_per_s,
        }[channel]
        self.bucket = TokenBucket(rate) if rate > 0 else None
        self.limit = asyncio.Semaphore(settings.channel_concurrency)
        renderer = Renderer()
        ttl = settings.push_ttl_s
        self.render: Callable[[NotificationRequest], Any] = {
            "email": renderer.email,
            "sms": renderer.sms,
            "push": lambda request: renderer.push(request, ttl),
        }[channel]

    async def handle(self, event: faust.EventT, ledger: Ledger) -> Outcome:
        """Deliver one message unless the ledger shows it was delivered before."""
        try:
            request = decode_notification(event.value)
        except InvalidMessage as exc:
            return Outcome(dead=self._dead(event, exc.reason))
        nid, partition = request.notification_id, event.message.partition
        known = ledger.entry(nid)
        if is_sent(known):
            log.info("%s already delivered: not sent again", nid)
            return Outcome(skipped=True)
        guard = SendGuard(
            self.sender,
            ledger,
            partition,
            sending_since(known),
            lookup_after_s=self.lookup_after_s,
            clock=self.clock,
            sleep=self.sleep,
        )
        try:
            await guard.settle()  # before it takes a slot: a lost attempt's wait holds none
            async with self.limit:
                receipt = await self.one(request, guard)
        except PermanentError as exc:
            dead = self._dead(event, f"permanent: {exc}")
            return Outcome(dead=dead, request=request, feedback=contact_failure(request, exc))
        except Exhausted as exc:
            return Outcome(dead=self._dead(event, str(exc), exc.history), request=request)
        except Exception as exc:  # a bug must not lose the message: keep it with the reason
            log.exception("unexpected failure delivering offset %s", event.message.offset)
            return Outcome(dead=self._dead(event, f"unexpected: {type(exc).__name__}: {exc}"))
        await ledger.sent(partition, nid, receipt.provider_id)
        return Outcome(request=request, receipt=receipt, found=guard.found)

    async def one(self, request: NotificationRequest, guard: SendGuard) -> Receipt:
        """Render and send one request, retrying what is worth retrying."""
        message = self.render(request)
        cost = segments(message.body) if isinstance(message, SmsMessage) else 1

        async def attempt() -> Receipt:
            found = await guard.look_up(message)
            if found is not None:
                return found
            if self.bucket is not None:
                await self.bucket.take(cost)  # every attempt counts against the provider's rate
            return await guard.send(message)

        receipt = await with_retries(attempt, self.policy, self.pause, sleep=self.sleep)
        log.debug("sent %s via %s: %s", request.notification_id, self.channel, receipt)
        return receipt

    def _dead(
        self, event: faust.EventT, reason: str, attempts: list[dict[str, Any]] | None = None
    ) -> bytes:
        return dead_letter_of(event, reason, f"channel-{self.channel}", attempts)


def create_channel_app(
    settings: Settings,
    channel: str,
    sender_factory: SenderFactory = build_sender,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> faust.App:
    """Build the worker app for one channel (email, sms or push)."""
    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    app = faust_app(topics.channel_app_id(channel), settings)
    source = app.topic(topics.notify(channel))
    deadletters = app.topic(topics.deadletter)
    events = app.topic(topics.events)  # contact.failed goes back to the stream processor
    table = app.Table("ledger")
    changelog = topics.ledger(channel)

    async def write(partition: int, key: bytes, value: bytes) -> Awaitable[Any]:
        """A ledger record, in the message's partition, as faust's own table write would put
        it, but by the producer's fast path (the table write cost a channel worker about a
        third more CPU per message)."""
        return await produce(app, changelog, key, value, partition)

    ledger = Ledger(table.data, write, clock)

    @app.agent(source)
    async def deliver(stream: faust.StreamT) -> None:
        delivery = Delivery(channel, settings, sender_factory(channel, settings), clock=clock)
        pipeline = Pipeline(settings.channel_in_flight)

        async def job(event: faust.EventT) -> None:
            outcome = await delivery.handle(event, ledger)
            if outcome.feedback is not None:
                key = outcome.feedback.partitionkey.encode()
                await events.send(key=key, value=encode(outcome.feedback))
            if outcome.dead is not None:
                await deadletters.send(value=outcome.dead)
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
