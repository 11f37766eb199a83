"""Delivering one notification: the ledger asked, one attempt made, what comes next decided.

Both agents of a channel worker (channels/worker.py) share one Delivery: `handle` makes a
request's first attempt, `handle_retry` a retry record's next one once it is due. A retriable
failure becomes a retry record (schemas/retry.py) for the retry topic, until the retry window
is used up (channels/retry.py); then, or at once for a permanent failure, the request is
dead-lettered with every attempt's failure. While the provider keeps failing, the channel's
circuit breaker (channels/breaker.py) holds messages on the retry path unsent, one probing.
A message past its useful life (channels/lifetime.py) is not attempted: it ends as expired in
the ledger, neither sent nor dead-lettered.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import faust

from channels.base import Sender
from channels.breaker import CircuitBreaker
from channels.checks import renderer_for
from channels.errors import (
    CircuitOpen,
    FailedOver,
    PermanentError,
    RetriableError,
    WaitingBehind,
)
from channels.feedback import contact_failure
from channels.guard import SendGuard
from channels.ledger import Entry, Ledger, is_sent, is_superseded, sending_since
from channels.lifetime import expired
from channels.limits import TokenBucket
from channels.messages import Message, Receipt, SmsMessage
from channels.order import LINE_KEY, ended, superseded_note, turn, waiting
from channels.outcome import Outcome
from channels.pause import ChannelPause
from channels.pipeline import Claims
from channels.render import Renderer
from channels.replays import suppressed_by_replay
from channels.retry import RetryPolicy, Sleep, failed_attempt, through_pause
from channels.sms_segments import segments
from runtime.apps import dead_letter_of
from runtime.logs import log_about
from runtime.settings import Settings
from schemas.codec import InvalidMessage, decode_notification, decode_retry, encode
from schemas.deadletter import Attempt, dead_letter
from schemas.notification import NotificationRequest
from schemas.replay import ReplayNote, replay_of
from schemas.retry import RETRY_VERSION, Origin, RetryRecord

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


HELD = CircuitOpen.__name__  # the history entry of a message the breaker held, untried
# History entries of a message that was not tried: held by the breaker, or waiting behind the
# customer's earlier message (channels/order.py). They are not attempts.
NOT_TRIED = frozenset({HELD, WaitingBehind.__name__})


def held(history: tuple[Attempt, ...]) -> bool:
    """Whether the last entry is a hold by the circuit breaker rather than a failed attempt."""
    return bool(history) and history[-1].kind == HELD


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Pending:
    """A request between attempts: as it came, where it first came from, how it failed."""

    request: NotificationRequest
    original: bytes
    origin: Origin
    key: bytes | None
    history: tuple[Attempt, ...] = ()
    replay: ReplayNote | None = None  # put back by `aftercart replay`


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
        renderer: Renderer | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.channel = channel
        self.stage = f"channel-{channel}"
        self.sender = sender
        self.sleep, self.clock, self.rng = sleep, clock, rng
        self.lookup_after_s = settings.channel_lookup_after_s
        self.policy = RetryPolicy.of(settings)
        self.breaker = breaker or CircuitBreaker(
            channel, settings.breaker_after, settings.breaker_probe_every_s
        )
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
        self.users: set[str] = set()  # the agents still using the sender
        renderer = renderer or renderer_for(settings)
        ttl = settings.push_ttl_s
        self.render: Callable[[NotificationRequest], Any] = {
            "email": renderer.email,
            "sms": renderer.sms,
            "push": lambda request: renderer.push(request, ttl),
        }[channel]

    @asynccontextmanager
    async def in_use(self, agent: str) -> AsyncIterator[None]:
        """Keep the sender open while `agent` runs; the last agent to stop closes it."""
        self.users.add(agent)
        try:
            yield
        finally:
            self.users.discard(agent)
            if not self.users:
                await self.sender.close()

    async def handle(self, event: faust.EventT, ledger: Ledger) -> Outcome:
        """A notification request's first attempt, unless the ledger shows it was delivered
        before."""
        try:
            request = decode_notification(event.value)
        except InvalidMessage as exc:
            return Outcome(dead=dead_letter_of(event, exc.reason, self.stage))
        at = event.message
        origin = Origin(topic=at.topic, partition=at.partition, offset=at.offset)
        pending = Pending(request, event.value, origin, event.key, replay=replay_of(at.headers))
        return await self._deliver(pending, ledger, at.partition)

    async def handle_retry(self, event: faust.EventT, ledger: Ledger) -> Outcome:
        """A retry record's next attempt, once it is due (as `handle` otherwise)."""
        try:
            record = decode_retry(event.value)
        except InvalidMessage as exc:
            reason = f"retry record: {exc.reason}"
            return Outcome(dead=dead_letter_of(event, reason, self.stage))
        # Never longer than the policy's longest delay: a record further ahead was written by
        # a worker whose clock runs ahead, and must not hold its slot for that long.
        wait = min((record.not_before - self.clock()).total_seconds(), self.policy.max_delay)
        if wait > 0 and held(record.attempts):  # goes as soon as a probe finds the provider up
            await self.breaker.closed_within(wait, self.sleep)
        elif wait > 0:
            await self.sleep(wait)
        request = record.request
        pending = Pending(request, encode(request), record.origin, event.key, record.attempts)
        # The retry topic is co-partitioned with the notify topic: the same ledger partition.
        return await self._deliver(pending, ledger, event.message.partition)

    async def attempt(
        self, request: NotificationRequest, message: Message, guard: SendGuard
    ) -> Receipt:
        """Make one attempt for this request: the one place its provider is called, through
        the ledger's guard (which asks the provider first when an earlier answer was lost).
        It waits for the provider's rate, and while the channel is paused (a refused
        configuration holds it here, channels/pause.py); any other failure is raised, and
        while the channel's circuit breaker is open it raises CircuitOpen, untried."""
        cost = segments(message.body) if isinstance(message, SmsMessage) else 1

        async def send() -> Receipt:
            # Asked here, with a provider slot in hand: a message that waited for the slot
            # while others failed is held too, not sent into an outage.
            if not self.breaker.allow():
                raise CircuitOpen(self.channel, self.breaker.failures, self.breaker.wait())
            try:
                receipt = await call()
            except FailedOver:  # the channel's second provider takes the retry: not down
                self.breaker.rerouted()
                raise
            except RetriableError:
                self.breaker.failed()
                raise
            except BaseException:  # any other answer, even a cancelled probe: not half-open
                self.breaker.answered()
                raise
            self.breaker.answered()
            return receipt

        async def call() -> Receipt:
            found = await guard.look_up(message)
            if found is not None:
                return found
            if self.bucket is not None:
                await self.bucket.take(cost)  # every attempt counts against the provider's rate
            return await guard.send(message)

        async with self.limit:
            receipt = await through_pause(send, self.pause, self.policy.pause_delay, self.sleep)
        log.debug("sent %s via %s: %s", request.notification_id, self.channel, receipt)
        return receipt

    async def _deliver(self, pending: Pending, ledger: Ledger, partition: int) -> Outcome:
        request = pending.request
        nid = request.notification_id
        log_about(request)  # its ids on every log line of this task (runtime/logs.py)
        async with self.claims.hold(nid):
            known = ledger.entry(nid)
            if is_sent(known) or is_superseded(known):
                await self._in_line(ledger, partition, request, Outcome(skipped=True))
                return self._ended_before(pending, known)
            ahead = await self._turn(ledger, partition, request)
            if ahead is not None:
                outcome = self._again(pending, ahead)
            else:
                outcome = await self._try(pending, ledger, partition, known)
            if outcome.expired:
                await ledger.expired(partition, nid)
            elif outcome.receipt is not None:
                await ledger.sent(partition, nid, outcome.receipt.provider_id)
            await self._in_line(ledger, partition, request, outcome)
        return outcome

    def _ended_before(self, pending: Pending, known: Entry | None) -> Outcome:
        """A message its ledger has as sent, or as superseded: acknowledged, not sent."""
        request, nid = pending.request, pending.request.notification_id
        if is_superseded(known):
            assert known is not None
            log.info("%s superseded by %s: not sent", nid, known.get("by"))
            note = superseded_note(request, str(known.get("by")), self.clock())
            return Outcome(skipped=True, superseded=True, suppressed=encode(note))
        log.info("%s already delivered: not sent again", nid)
        if pending.replay is None:
            return Outcome(skipped=True)
        note = suppressed_by_replay(request, pending.replay, self.clock())
        return Outcome(skipped=True, suppressed=encode(note))

    async def _turn(
        self, ledger: Ledger, partition: int, request: NotificationRequest
    ) -> WaitingBehind | None:
        """Whether the customer's earlier message on this channel, waiting for a retry, comes
        first (channels/order.py); what this one supersedes there ends."""
        customer, nid = request.customer_id, request.notification_id
        if not ledger.line(customer):
            return None  # the usual case: nobody of theirs is waiting
        async with self.claims.hold(LINE_KEY + customer):
            line = ledger.line(customer)
            now = self.clock()
            place = turn(line, request, now, busy=self.claims.held() - {nid})
            for gone in place.superseded:
                log.info("%s supersedes %s (%s), which waited", nid, gone["n"], gone["t"])
                await ledger.superseded(partition, gone["n"], nid)
            if place.line != line:
                await ledger.set_line(partition, customer, place.line)
        if place.go:
            return None
        assert place.ahead is not None and place.until is not None
        seconds = (place.until - now).total_seconds()
        return WaitingBehind(self.channel, place.ahead["n"], seconds)

    async def _in_line(
        self, ledger: Ledger, partition: int, request: NotificationRequest, outcome: Outcome
    ) -> None:
        """Keep the customer's line: a message to be retried waits in it until it is due, one
        that ended leaves it."""
        customer = request.customer_id
        if outcome.retry is None and not ledger.line(customer):
            return
        async with self.claims.hold(LINE_KEY + customer):
            line = ledger.line(customer)
            if outcome.retry is not None and outcome.due is not None:
                after = waiting(line, request, outcome.due)
            else:
                after = ended(line, request.notification_id)
            if after != line:
                await ledger.set_line(partition, customer, after)

    async def _try(
        self, pending: Pending, ledger: Ledger, partition: int, known: Entry | None
    ) -> Outcome:
        """One attempt, unless the message is past its useful life or the breaker holds it."""
        request = pending.request
        if expired(request, self.clock()):
            log.info("%s expired unsent: past its useful life", request.notification_id)
            return Outcome(expired=True, request=request)
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
            await guard.settle()  # a lost attempt's wait, before it takes a provider slot
            receipt = await self.attempt(request, self.render(request), guard)
        except RetriableError as exc:  # a CircuitOpen one too: held, not tried
            return self._again(pending, exc)
        except PermanentError as exc:
            dead = self._dead(pending, f"permanent: {exc}", self._failed(pending, exc))
            return Outcome(dead=dead, request=request, feedback=contact_failure(request, exc))
        except Exception as exc:  # a bug must not lose the message: keep it with the reason
            log.exception("unexpected failure delivering %s", request.notification_id)
            reason = f"unexpected: {type(exc).__name__}: {exc}"
            dead = self._dead(pending, reason, self._failed(pending, exc))
            return Outcome(dead=dead, request=request)
        return Outcome(request=request, receipt=receipt, found=guard.found)

    def _again(self, pending: Pending, exc: RetriableError) -> Outcome:
        """The retry record for the next attempt; the dead letter once the retry window is
        used up; expired when the next attempt would come past the message's useful life."""
        history = self._failed(pending, exc)
        last, before = history[-1].kind, pending.history[-1].kind if pending.history else None
        if last in NOT_TRIED and before == last:  # holds in a row are kept as one entry
            history = (*pending.history[:-1], history[-1])
        tries = sum(1 for a in history if a.kind not in NOT_TRIED)  # a hold is not an attempt
        now, first = history[-1].at, history[0].at
        when = self.policy.next_try(tries, exc.retry_after, now, first, self.rng)
        if when is not None and expired(pending.request, when):
            log.info(
                "%s expired unsent: its next attempt would come past its useful life (%s)",
                pending.request.notification_id,
                exc,
            )
            return Outcome(expired=True, request=pending.request)
        if when is None:
            reason = f"gave up after {tries} attempts over {now - first}: {exc}"
            return Outcome(dead=self._dead(pending, reason, history), request=pending.request)
        record = RetryRecord(
            version=RETRY_VERSION,
            request=pending.request,
            attempts=history,
            not_before=when,
            origin=pending.origin,
        )
        log.info(
            "%s %s (%s); next at %s",
            pending.request.notification_id,
            "held" if last in NOT_TRIED else f"attempt {tries} failed",
            exc,
            when.isoformat(timespec="milliseconds"),
        )
        return Outcome(retry=encode(record), request=pending.request, due=when)

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
