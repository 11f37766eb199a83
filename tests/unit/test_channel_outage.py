"""Outlasting an outage: the circuit breaker (closed, open after N retriable failures in a row,
one probe at a time, closed again) with a fake clock, and messages past their useful life
ending as expired: not sent, not dead-lettered, recorded in the ledger."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from delivering import NOW, FakeEvent, FakeSender, FakeTime, Runner, no_sleep, request, until
from test_channel_retry import unavailable

from channels.breaker import CircuitBreaker
from channels.delivery import Delivery
from channels.errors import CircuitOpen
from channels.ledger import is_expired, is_sent
from channels.lifetime import USEFUL_LIFE, expired
from channels.messages import Receipt
from channels.retry import Sleep
from runtime.settings import Settings
from schemas.codec import decode_notification, decode_retry, encode
from schemas.notification import NotificationRequest


class Ticks:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_after_n_failures_in_a_row_probes_one_at_a_time_and_closes() -> None:
    clock = Ticks()
    breaker = CircuitBreaker("email", after=3, probe_every=30, clock=clock)
    # Given a closed breaker, a success resets the count of failures in a row
    breaker.failed(), breaker.failed(), breaker.answered()
    assert (breaker.state, breaker.failures, breaker.allow()) == ("closed", 0, True)
    # When three calls fail retriably in a row, it opens: nobody may call
    for _ in range(3):
        assert breaker.allow()
        breaker.failed()
    assert breaker.state == "open"
    assert not breaker.allow() and breaker.wait() == 30
    clock.now += 29
    assert not breaker.allow() and breaker.wait() == 1
    # Then once the probe period has passed, one call is let through, and only one
    clock.now += 1
    assert breaker.allow() and breaker.state == "half-open"
    assert not breaker.allow() and not breaker.allow()
    # A failed probe opens it for another period
    breaker.failed()
    assert breaker.state == "open" and not breaker.allow()
    clock.now += 30
    assert breaker.allow() and not breaker.allow()
    # A probe that is answered closes it: everyone calls again
    breaker.answered()
    assert (breaker.state, breaker.failures) == ("closed", 0)
    assert all(breaker.allow() for _ in range(5))


def test_failures_of_calls_still_in_flight_do_not_extend_the_open_period() -> None:
    clock = Ticks()
    breaker = CircuitBreaker("sms", after=1, probe_every=10, clock=clock)
    breaker.failed()
    clock.now += 5
    breaker.failed()  # one that went out before it opened
    clock.now += 5
    assert breaker.allow()


async def test_an_open_breaker_holds_messages_on_the_retry_path_without_calling() -> None:
    # Given a provider that fails everything, and a breaker opening after 2 failures
    clock = Ticks()
    script = {f"n{i}": [unavailable(n=i)] for i in range(6)}
    sender = FakeSender(script)
    breaker = CircuitBreaker("email", after=2, probe_every=30, clock=clock)
    runner = Runner(
        Delivery(
            "email",
            Settings(),
            sender,
            sleep=no_sleep,
            clock=lambda: NOW,
            rng=lambda: 1.0,
            breaker=breaker,
        )
    )
    # When six messages come one at a time
    events = [FakeEvent(request_of(f"n{i}"), f"c{i}".encode()) for i in range(6)]
    for event in events:
        await runner.batch([event], limit=1)
    # Then the provider was called twice; the other four wait on the retry topic, unsent,
    # due no sooner than the next probe
    assert sender.attempts == ["n0", "n1"]
    records = [decode_retry(r.value) for r in runner.retries]
    held = [r for r in records if r.attempts[-1].kind == "CircuitOpen"]
    assert len(records) == 6 and len(held) == 4
    assert all(r.not_before >= NOW + timedelta(seconds=30) for r in held)
    # When the provider is back and the probe period has passed
    sender.script.clear()
    clock.now += 30
    dead = await runner.redeliver(limit=1)
    # Then the first record is the probe, it closes the breaker, and all six are delivered
    assert dead == [] and sorted(sender.sent) == [f"n{i}" for i in range(6)]
    assert breaker.state == "closed"


def request_of(nid: str, template: str = "order.paid", age: timedelta = timedelta()) -> bytes:
    """A request for `template`, decided `age` before NOW."""
    base = decode_notification(request(nid, customer=f"c-{nid}"))
    update = {"template": template, "event_type": template, "created_at": NOW - age}
    return encode(base.model_copy(update=update))


def test_each_template_has_a_useful_life_and_past_it_the_message_is_expired() -> None:
    assert USEFUL_LIFE["fulfillment.out_for_delivery"] < USEFUL_LIFE["order.paid"]
    raw = request_of("n1", "fulfillment.out_for_delivery")
    text: NotificationRequest = decode_notification(raw)
    assert not expired(text, NOW + timedelta(hours=5, minutes=59))
    assert expired(text, NOW + timedelta(hours=6))
    unknown = text.model_copy(update={"template": "no.such"})
    assert not expired(unknown, NOW + timedelta(days=365))


async def test_a_message_past_its_useful_life_is_not_sent_nor_dead_lettered() -> None:
    # Given an out-for-delivery text decided seven hours ago
    sender = FakeSender()
    runner = Runner(Delivery("email", Settings(), sender, clock=lambda: NOW))
    raw = request_of("n1", "fulfillment.out_for_delivery", timedelta(hours=7))
    # When it comes to the worker
    dead = await runner.batch([FakeEvent(raw)])
    # Then it is neither sent nor dead-lettered nor retried, and the ledger says expired
    assert (dead, sender.attempts, runner.retries) == ([], [], [])
    entry = runner.ledger.entry("n1")
    assert is_expired(entry) and not is_sent(entry)
    assert runner.changelog.records[-1][2]["expired"] == NOW.isoformat()


async def test_a_retry_that_would_come_past_the_useful_life_ends_as_expired() -> None:
    # Given a payment receipt decided 23 h 59 min 59 s ago, and a provider asking for 10 s
    sender = FakeSender({"n1": [unavailable(retry_after=10)]})
    runner = Runner(Delivery("email", Settings(), sender, clock=lambda: NOW, rng=lambda: 0))
    age = timedelta(hours=23, minutes=59, seconds=59)
    dead = await runner.batch([FakeEvent(request_of("n1", "order.paid", age))])
    # Then its one attempt failed, and no retry is scheduled past its life: it expired
    assert (dead, sender.attempts, runner.retries) == ([], ["n1"], [])
    assert is_expired(runner.ledger.entry("n1"))


def test_a_held_message_says_it_was_not_tried() -> None:
    held = CircuitOpen("email", 5, 12.4)
    assert held.retry_after == 12.4
    assert "not tried" in str(held) and "5 times in a row" in str(held)


def held_delivery(
    sender: FakeSender, breaker: CircuitBreaker, sleep: Sleep, **settings: Any
) -> Runner:
    """A delivery whose breaker runs on its own clock, and whose waits use `sleep`."""
    delivery = Delivery(
        "email",
        Settings(**settings),
        sender,
        sleep=sleep,
        clock=lambda: NOW,
        rng=lambda: 1.0,
        breaker=breaker,
    )
    return Runner(delivery)


async def test_holds_in_a_row_are_one_entry_and_use_up_no_attempts() -> None:
    # Given a provider failing everything, a breaker opening at the first failure, and at
    # most 3 attempts a message
    sender = FakeSender({"n0": [unavailable()]})
    breaker = CircuitBreaker("email", after=1, probe_every=30, clock=Ticks())
    runner = held_delivery(sender, breaker, no_sleep, channel_max_attempts=3)
    await runner.batch([FakeEvent(request_of("n0"), b"c0"), FakeEvent(request_of("n1"), b"c1")])
    runner.retries = runner.retries[1:]  # n1's: held, untried
    # When the held message comes round five times while the breaker stays open
    for _ in range(5):
        assert await runner.redeliver() == []
    # Then it was never tried nor dead-lettered, and its history is one hold entry
    assert sender.attempts == ["n0"]
    record = decode_retry(runner.retries[0].value)
    assert record.request.notification_id == "n1"
    assert [a.kind for a in record.attempts] == ["CircuitOpen"]


async def test_a_held_message_goes_as_soon_as_the_breaker_closes_not_at_its_due_time() -> None:
    # Given a breaker opened by a failure, and a message it held for the next probe (30 s)
    sender = FakeSender({"n0": [unavailable()]})
    breaker = CircuitBreaker("email", after=1, probe_every=30, clock=Ticks())
    time = FakeTime()
    runner = held_delivery(sender, breaker, time.sleep)
    await runner.batch([FakeEvent(request_of("n0"), b"c0"), FakeEvent(request_of("n1"), b"c1")])
    runner.retries = runner.retries[1:]
    assert decode_retry(runner.retries[0].value).not_before >= NOW + timedelta(seconds=30)
    # When its record waits on the retry path, and another message's probe finds the
    # provider answering (no time passes)
    waiting = asyncio.ensure_future(runner.redeliver())
    await until(lambda: bool(time.slept))
    assert sender.sent == []
    breaker.answered()
    # Then it is sent at once
    assert await asyncio.wait_for(waiting, 5) == []
    assert sender.sent == ["n1"]


class DownFor(FakeSender):
    """A provider that answers 503 to everything until `until`, then accepts all."""

    def __init__(self, time: FakeTime, until: datetime) -> None:
        super().__init__()
        self.time, self.until = time, until
        self.failed_at: list[datetime] = []

    async def send(self, message: Any) -> Receipt:
        if self.time.now < self.until:
            self.attempts.append(message.notification_id)
            self.failed_at.append(self.time.now)
            raise unavailable()
        return await super().send(message)


async def test_a_five_minute_outage_with_the_default_settings_is_outlasted_in_few_calls() -> None:
    # Given the default retry and breaker settings, and a provider down for five minutes
    time = FakeTime()
    sender = DownFor(time, NOW + timedelta(minutes=5))
    breaker = CircuitBreaker(
        "email", after=5, probe_every=30, clock=lambda: (time.now - NOW).total_seconds()
    )
    delivery = Delivery(
        "email", Settings(), sender, sleep=no_sleep, clock=time.clock, breaker=breaker
    )
    runner = Runner(delivery)
    # When 200 messages come at its start, and each retry record is taken at its time (the
    # clock shifted from one to the next, as the retry agent would wait)
    nids = [f"n{i}" for i in range(200)]
    dead = await runner.batch([FakeEvent(request_of(n), n.encode()) for n in nids])
    while runner.retries:
        runner.retries.sort(key=lambda r: decode_retry(r.value).not_before)
        due = decode_retry(runner.retries[0].value).not_before
        time.now = max(time.now, due)
        waiting, runner.retries = runner.retries[1:], runner.retries[:1]
        dead += await runner.redeliver()
        runner.retries += waiting
    # Then every message was sent exactly once, none dead-lettered, within a probe period
    # or two of the provider's return
    assert dead == [] and sorted(sender.sent) == sorted(nids)
    assert time.now <= NOW + timedelta(minutes=5, seconds=60)
    # And during the outage the provider saw the five failures that opened the breaker and
    # one probe per 30 s, not 200 messages' worth of retries
    assert 5 <= len(sender.failed_at) <= 5 + 300 / 30 + 1
