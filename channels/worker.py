"""A channel worker: notification requests in, one provider call per message, failures kept.

Two agents share one Delivery. `deliver` reads `<prefix>.notify.<channel>` and makes each
request's first attempt as it arrives. A retriable failure is not waited out there: the request
goes to `<prefix>.retry.<channel>` as a retry record (schemas/retry.py) saying when it is due,
and the message is acknowledged, so its partition goes on. `redeliver` reads the retry topic,
lets each record wait until it is due without holding up the others, and makes its next
attempt through the same `Delivery.attempt`; until the attempts run out (channels/retry.py),
then the request is dead-lettered with every attempt's failure.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import faust
import orjson

from aftercart.apps import dead_letter_of, faust_app, produce
from aftercart.settings import Settings
from channels.base import Sender
from channels.errors import PermanentError, RetriableError
from channels.feedback import contact_failure
from channels.ledger import Ledger, delivered, entry
from channels.limits import TokenBucket
from channels.messages import Message, Receipt, SmsMessage
from channels.pause import ChannelPause
from channels.pipeline import Claims, Pipeline
from channels.registry import build_sender
from channels.render import Renderer
from channels.retry import RetryPolicy, Sleep, failed_attempt, through_pause
from channels.sms_segments import segments
from schemas.codec import InvalidMessage, decode_notification, decode_retry, encode
from schemas.deadletter import Attempt, dead_letter
from schemas.events import CloudEvent
from schemas.notification import NotificationRequest
from schemas.retry import RETRY_VERSION, Origin, RetryRecord
from schemas.topics import Topics

log = logging.getLogger(__name__)
SenderFactory = Callable[[str, Settings], Sender[Any]]
Clock = Callable[[], datetime]
Remember = Callable[[Receipt], Awaitable[None]]  # records an accepted request in the ledger


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outcome:
    """What became of one message: delivered (receipt), already delivered (skipped), to be
    tried again (retry: the record for the retry topic), or kept on the dead-letter topic
    (dead), with what the provider said about the contact point."""

    request: NotificationRequest | None = None
    receipt: Receipt | None = None
    skipped: bool = False
    retry: bytes | None = None
    dead: bytes | None = None
    feedback: CloudEvent | None = None  # contact.failed, for the stream processor to act on


@dataclass(frozen=True)
class Pending:
    """A request between attempts: as it came, where it first came from, how it failed."""

    request: NotificationRequest
    original: bytes
    origin: Origin
    key: bytes | None
    history: tuple[Attempt, ...] = ()


class Delivery:
    """Makes one attempt per message it is given and says what comes next; channels/pipeline.py
    runs many at once. Both agents of a channel worker share one."""

    def __init__(
        self,
        channel: str,
        settings: Settings,
        sender: Sender[Any],
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = utc_now,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.channel = channel
        self.stage = f"channel-{channel}"
        self.sender = sender
        self.sleep, self.clock, self.rng = sleep, clock, rng
        self.policy = RetryPolicy(max_attempts=settings.channel_max_attempts)
        self.pause = ChannelPause(channel)  # while the provider refuses our configuration
        rate = {
            "email": settings.email_per_s,
            "sms": settings.sms_segments_per_s,
            "push": settings.push_per_s,
        }[channel]
        self.bucket = TokenBucket(rate) if rate > 0 else None
        self.limit = asyncio.Semaphore(settings.channel_concurrency)
        # One attempt per notification at a time, whichever agent holds it (a replayed message
        # and its retry record), so the ledger is asked only once the other has recorded.
        self.claims = Claims()
        renderer = Renderer()
        ttl = settings.push_ttl_s
        self.render: Callable[[NotificationRequest], Any] = {
            "email": renderer.email,
            "sms": renderer.sms,
            "push": lambda request: renderer.push(request, ttl),
        }[channel]

    async def handle(
        self, event: faust.EventT, sent: Ledger | None = None, remember: Remember | None = None
    ) -> Outcome:
        """A notification request's first attempt, unless the ledger `sent` shows it was
        delivered before; `remember` records it once the provider accepted it."""
        try:
            request = decode_notification(event.value)
        except InvalidMessage as exc:
            return Outcome(dead=dead_letter_of(event, exc.reason, self.stage))
        at = event.message
        origin = Origin(topic=at.topic, partition=at.partition, offset=at.offset)
        return await self._deliver(Pending(request, event.value, origin, event.key), sent, remember)

    async def handle_retry(
        self, event: faust.EventT, sent: Ledger | None = None, remember: Remember | None = None
    ) -> Outcome:
        """A retry record's next attempt, once it is due (as `handle` otherwise)."""
        try:
            record = decode_retry(event.value)
        except InvalidMessage as exc:
            reason = f"retry record: {exc.reason}"
            return Outcome(dead=dead_letter_of(event, reason, self.stage))
        # Never longer than the policy's longest delay: a record further ahead was written by
        # a worker whose clock runs ahead, and must not hold its slot for that long.
        wait = min((record.not_before - self.clock()).total_seconds(), self.policy.max_delay)
        if wait > 0:
            await self.sleep(wait)
        request = record.request
        pending = Pending(request, encode(request), record.origin, event.key, record.attempts)
        return await self._deliver(pending, sent, remember)

    async def attempt(self, request: NotificationRequest, message: Message) -> Receipt:
        """Make one attempt for this request: the one place its provider is called. It waits
        for the provider's rate, and while the channel is paused (a refused configuration
        holds it here, channels/pause.py); any other failure is raised."""
        cost = segments(message.body) if isinstance(message, SmsMessage) else 1

        async def send() -> Receipt:
            if self.bucket is not None:
                await self.bucket.take(cost)  # every attempt counts against the provider's rate
            return await self.sender.send(message)

        async with self.limit:
            receipt = await through_pause(send, self.pause, self.policy.pause_delay, self.sleep)
        log.debug("sent %s via %s: %s", request.notification_id, self.channel, receipt)
        return receipt

    async def _deliver(
        self, pending: Pending, sent: Ledger | None, remember: Remember | None
    ) -> Outcome:
        request = pending.request
        async with self.claims.hold(request.notification_id):
            if delivered(sent, request.notification_id):
                log.info("%s already delivered: not sent again", request.notification_id)
                return Outcome(skipped=True)
            try:
                receipt = await self.attempt(request, self.render(request))
            except RetriableError as exc:
                return self._again(pending, exc)
            except PermanentError as exc:
                dead = self._dead(pending, f"permanent: {exc}", self._failed(pending, exc))
                return Outcome(dead=dead, request=request, feedback=contact_failure(request, exc))
            except Exception as exc:  # a bug must not lose the message: keep it with the reason
                log.exception("unexpected failure delivering %s", request.notification_id)
                reason = f"unexpected: {type(exc).__name__}: {exc}"
                dead = self._dead(pending, reason, self._failed(pending, exc))
                return Outcome(dead=dead, request=request)
            if remember is not None:
                await remember(receipt)
        return Outcome(request=request, receipt=receipt)

    def _again(self, pending: Pending, exc: RetriableError) -> Outcome:
        """The retry record for the next attempt, or the dead letter once none is left."""
        history = self._failed(pending, exc)
        when = self.policy.next_try(len(history), exc.retry_after, history[-1].at, self.rng)
        if when is None:
            reason = f"gave up after {len(history)} attempts: {exc}"
            return Outcome(dead=self._dead(pending, reason, history), request=pending.request)
        record = RetryRecord(
            version=RETRY_VERSION,
            request=pending.request,
            attempts=history,
            not_before=when,
            origin=pending.origin,
        )
        log.info(
            "%s attempt %d failed (%s); next at %s",
            pending.request.notification_id,
            len(history),
            exc,
            when.isoformat(timespec="milliseconds"),
        )
        return Outcome(retry=encode(record), request=pending.request)

    def _failed(self, pending: Pending, exc: Exception) -> tuple[Attempt, ...]:
        """Every attempt's failure so far, this one's (`exc`, now) last."""
        return (*pending.history, failed_attempt(exc, self.clock()))

    def _dead(self, pending: Pending, reason: str, history: tuple[Attempt, ...]) -> bytes:
        """The dead letter of the request as it first came, with every attempt's failure."""
        origin = pending.origin
        log.warning(
            "dead-lettered %s (%s offset %s): %s",
            pending.request.notification_id,
            origin.topic,
            origin.offset,
            reason,
        )
        record = dead_letter(
            reason=reason,
            stage=self.stage,
            topic=origin.topic,
            partition=origin.partition,
            offset=origin.offset,
            key=pending.key,
            original=pending.original,
            attempts=history,
        )
        return encode(record)


def by_customer(event: faust.EventT) -> bytes:
    """The pipeline key of a notify message: its customer, whose messages go in order."""
    return event.key or b""


def by_record(event: faust.EventT) -> bytes:
    """The pipeline key of a retry record: its own place, so no record waits for another."""
    return f"{event.message.partition}/{event.message.offset}".encode()


def create_channel_app(
    settings: Settings,
    channel: str,
    sender_factory: SenderFactory = build_sender,
    clock: Clock = utc_now,
) -> faust.App:
    """Build the worker app for one channel (email, sms or push)."""
    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    app = faust_app(topics.channel_app_id(channel), settings)
    source = app.topic(topics.notify(channel))
    retries = app.topic(topics.retry(channel))
    deadletters = app.topic(topics.deadletter)
    events = app.topic(topics.events)  # contact.failed goes back to the stream processor
    ledger = app.Table("ledger")
    changelog = topics.ledger(channel)
    delivery = Delivery(channel, settings, sender_factory(channel, settings), clock=clock)
    running: set[str] = set()  # agents still using the sender

    async def remember(event: faust.EventT, nid: str, value: dict[str, Any]) -> None:
        """Record a delivery: in the table's store, and on its changelog in the message's
        partition, as faust's own table write would, but by the producer's fast path (the
        table write cost a channel worker about a third more CPU per message)."""
        ledger.data[nid] = value
        key, raw = orjson.dumps(nid), orjson.dumps(value)
        await produce(app, changelog, key, raw, event.message.partition)

    async def job(handle: Callable[..., Awaitable[Outcome]], event: faust.EventT) -> None:
        async def accepted(receipt: Receipt) -> None:
            await remember(event, receipt.notification_id, entry(receipt.provider_id, clock()))

        outcome = await handle(event, ledger, accepted)
        if outcome.feedback is not None:
            key = outcome.feedback.partitionkey.encode()
            await events.send(key=key, value=encode(outcome.feedback))
        if outcome.retry is not None:
            # The same partition number: the retry topic is co-partitioned with the ledger.
            partition = event.message.partition
            await produce(app, topics.retry(channel), event.key, outcome.retry, partition)
        if outcome.dead is not None:
            await deadletters.send(value=outcome.dead)
        # Only now may the offset be committed (faust commits up to the first gap); faust
        # flushes the producer, the retry record included, before it commits.
        event.ack()

    async def consume(
        name: str,
        stream: faust.StreamT,
        handle: Callable[..., Awaitable[Outcome]],
        key: Callable[[faust.EventT], bytes],
    ) -> None:
        running.add(name)
        pipeline = Pipeline(settings.channel_in_flight)
        try:
            # noack: faust must not commit a message when the next one is taken, only once
            # it was delivered, put on the retry topic or dead-lettered.
            async for event in stream.noack().events():  # type: ignore[attr-defined]
                await pipeline.submit(key(event), partial(job, handle, event))
            await pipeline.drain()
        finally:
            running.discard(name)
            if not running:
                await delivery.sender.close()

    @app.agent(source)
    async def deliver(stream: faust.StreamT) -> None:
        """First attempts, each customer's in order."""
        await consume("deliver", stream, delivery.handle, by_customer)

    @app.agent(retries)
    async def redeliver(stream: faust.StreamT) -> None:
        """Next attempts, each record on its own: one due later holds up none due sooner."""
        await consume("redeliver", stream, delivery.handle_retry, by_record)

    return app
