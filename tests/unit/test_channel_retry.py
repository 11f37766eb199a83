"""Retries through the channel's retry topic: a retriable failure becomes a retry record, the
redeliver agent makes the next attempt once it is due, and the attempts used up end in a
dead letter with every attempt's failure."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta

import pytest
from delivering import (
    NOTIFY,
    NOW,
    RETRY,
    FakeEvent,
    FakeMessage,
    FakeSender,
    FakeTime,
    Runner,
    delivery,
    request,
    until,
)
from hypothesis import given
from hypothesis import strategies as st

from channels.delivery import Delivery
from channels.errors import PermanentError, RetriableError
from channels.ledger import is_sent
from channels.retry import RetryPolicy
from runtime.settings import Settings
from schemas.codec import decode_retry, encode
from schemas.topics import CHANNELS, Topics


def unavailable(retry_after: float | None = None, n: int = 0) -> RetriableError:
    return RetriableError("email", f"HTTP 503: try later #{n}", "503", retry_after)


async def test_a_503_goes_through_one_retry_record_and_is_delivered_once() -> None:
    # Given a provider that answers 503 once
    sender = FakeSender({"n1": [unavailable()]})
    runner = delivery(sender)
    raw = request("n1")
    # When the message comes, the worker does not wait: it publishes a retry record, and the
    # message is acknowledged
    dead = await runner.batch([FakeEvent(raw, message=FakeMessage(NOTIFY, 1, 7))])
    assert (dead, sender.sent, runner.acked) == ([], [], [7])
    [waiting] = runner.retries
    record = decode_retry(waiting.value)
    assert record.request.notification_id == "n1"
    assert [(a.kind, a.code) for a in record.attempts] == [("RetriableError", "503")]
    assert (record.origin.topic, record.origin.partition, record.origin.offset) == (NOTIFY, 1, 7)
    assert (waiting.key, waiting.message.partition) == (b"c1", 1)  # co-partitioned
    # When the redeliver agent takes the record
    dead = await runner.redeliver()
    # Then the message is delivered once, and nothing more waits
    assert (dead, sender.sent, runner.retries) == ([], ["n1"], [])
    assert sender.attempts == ["n1", "n1"]
    assert is_sent(runner.ledger.entry("n1"))


async def test_retry_after_sets_the_earliest_next_attempt() -> None:
    # Given a provider that asks for 7 s (429 Retry-After), and the least backoff jitter draws
    sender = FakeSender({"n1": [RetriableError("email", "429", "429", retry_after=7)]})
    runner = Runner(
        Delivery("email", Settings(), sender, clock=lambda: NOW, rng=lambda: 0.0),
    )
    await runner.batch([FakeEvent(request("n1"))])
    # Then the record is not due before the provider's time
    assert decode_retry(runner.retries[0].value).not_before == NOW + timedelta(seconds=7)


@given(
    failures=st.integers(1, 40),
    retry_after=st.none() | st.floats(0, 1200),
    draw=st.floats(0, 1, exclude_max=True),
)
def test_the_next_attempt_backs_off_and_honours_retry_after(
    failures: int, retry_after: float | None, draw: float
) -> None:
    policy = RetryPolicy()
    when = policy.next_try(failures, retry_after, NOW, rng=lambda: draw)
    assert when is not None
    wait = (when - NOW).total_seconds()
    # never longer than the cap, never shorter than the provider asked (up to the cap), and
    # between half and all of the doubling step, or the provider's time if that is longer
    step = min(policy.max_delay, policy.first_delay * 2 ** (failures - 1))
    hint = min(retry_after or 0, policy.max_delay)
    assert 0 <= wait <= policy.max_delay
    assert wait >= max(step / 2, hint) - 1e-6
    assert wait <= max(step, hint) + 1e-6


def test_the_schedule_doubles_from_one_second_up_to_ten_minutes() -> None:
    policy = RetryPolicy.of(Settings())
    steps = [policy.delay(n, None, lambda: 1.0) for n in range(1, 13)]
    assert steps == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]
    assert [policy.delay(n, None, lambda: 0.0) for n in (1, 2, 11)] == [0.5, 1, 300]


def test_the_schedule_stops_at_the_retry_window() -> None:
    # Given a 24 h window from the first attempt
    policy = RetryPolicy.of(Settings(retry_for="24h"))
    first = NOW
    # the last try comes at the window's end, not after it
    late = first + timedelta(hours=23, minutes=55)
    assert policy.next_try(200, None, late, first, lambda: 1.0) == first + timedelta(hours=24)
    # and once it is reached, none is left
    assert policy.next_try(201, None, first + timedelta(hours=24), first) is None
    # an outage of hours is outlasted: retries keep coming, at most 10 min apart
    now, failures = first, 0
    while (when := policy.next_try(failures + 1, None, now, first, lambda: 1.0)) is not None:
        assert (when - now).total_seconds() <= 600
        now, failures = when, failures + 1
    assert now == first + timedelta(hours=24)
    assert 140 < failures < 160


def test_no_next_attempt_once_the_attempts_are_used_up() -> None:
    assert RetryPolicy(max_attempts=3).next_try(3, None, NOW) is None
    assert RetryPolicy().next_try(3, None, NOW) is not None


async def test_used_up_attempts_dead_letter_the_request_with_every_attempts_failure() -> None:
    # Given a provider that fails three times, and three attempts allowed
    sender = FakeSender({"n1": [unavailable(n=i) for i in range(3)]})
    runner = delivery(sender, channel_max_attempts=3)
    raw = request("n1")
    # When the message comes and its retries are taken
    dead = await runner.settle([FakeEvent(raw, message=FakeMessage(NOTIFY, 0, 42))])
    # Then it went through two retry records, then to the dead-letter topic
    assert len(runner.published) == 2 and sender.sent == []
    [letter] = [json.loads(d) for d in dead]
    assert letter["reason"].startswith("gave up after 3 attempts")
    assert [a["error"] for a in letter["attempts"]] == [
        f"email [503]: HTTP 503: try later #{i}" for i in range(3)
    ]
    assert {a["code"] for a in letter["attempts"]} == {"503"}
    # as the request first came: its notify topic, offset and bytes, so it can be redriven
    assert (letter["stage"], letter["topic"], letter["offset"]) == ("channel-email", NOTIFY, 42)
    assert base64.b64decode(letter["original_b64"]) == raw


async def test_a_permanent_failure_on_a_retry_keeps_the_earlier_failures() -> None:
    sender = FakeSender({"n1": [unavailable(), PermanentError("email", "400 bad", "400")]})
    dead = await delivery(sender).settle([FakeEvent(request("n1"))])
    [letter] = [json.loads(d) for d in dead]
    assert letter["reason"] == "permanent: email [400]: 400 bad"
    assert [a["code"] for a in letter["attempts"]] == ["503", "400"]


async def test_a_record_due_later_does_not_hold_up_one_due_sooner() -> None:
    # Given two records on one partition, of two customers: the first due in 10 s, the
    # second in 1 s
    time = FakeTime()
    sender = FakeSender({"late": [unavailable(10)], "soon": [unavailable(1)]})
    settings = Settings()
    runner = Runner(
        Delivery("email", settings, sender, sleep=time.sleep, clock=time.clock, rng=lambda: 0)
    )
    late, soon = FakeEvent(request("late", "c-late")), FakeEvent(request("soon", "c-soon"))
    await runner.batch([late, soon])  # two customers: neither waits behind the other
    assert [decode_retry(r.value).request.notification_id for r in runner.retries] == [
        "late",
        "soon",
    ]
    # When the redeliver agent takes both and 1 s passes
    agent = asyncio.create_task(runner.redeliver())
    await until(lambda: len(time.slept) == 2)
    time.advance(1)
    # Then the one due sooner goes, while the other still waits
    await until(lambda: sender.sent == ["soon"])
    assert not agent.done()
    # And the other goes once its time has come
    time.advance(9)
    assert await agent == []
    assert sender.sent == ["soon", "late"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"{not json", "retry record: (message): Invalid JSON"),
        (b'{"version": 2}', "retry record: version: Input should be 1"),
        (b'{"version": 1, "request": {}}', "retry record: request.notification_id: Field required"),
    ],
)
async def test_a_malformed_retry_record_is_dead_lettered_with_the_reason(
    value: bytes, reason: str
) -> None:
    sender = FakeSender()
    runner = delivery(sender)
    runner.retries.append(FakeEvent(value, message=FakeMessage(RETRY, 0, 3)))
    dead = await runner.redeliver()
    [letter] = [json.loads(d) for d in dead]
    assert letter["reason"].startswith(reason)
    assert (letter["topic"], letter["offset"]) == (RETRY, 3)
    assert base64.b64decode(letter["original_b64"]) == value
    assert sender.attempts == [] and runner.acked == [3]


async def test_a_request_replayed_while_its_retry_record_waits_is_sent_once() -> None:
    # Given a request that went to the retry topic, and a crash before its offset was committed
    sender = FakeSender({"n1": [unavailable()]})
    runner = delivery(sender)
    message = FakeEvent(request("n1"))
    await runner.batch([message])
    # When the replayed message and its retry record are taken at the same time
    again = await asyncio.gather(runner.batch([message]), runner.redeliver())
    # Then the provider got it once: whichever came second found it in the ledger
    assert again == [[], []]
    assert sender.sent == ["n1"]
    assert runner.retries == [] and len(runner.delivery.claims) == 0


def test_each_channel_has_a_retry_topic_declared_like_its_notify_topic() -> None:
    specs = {spec.name: spec for spec in Topics("shop", 6).all()}
    for channel in CHANNELS:
        retry, notify = specs[f"shop.retry.{channel}"], specs[f"shop.notify.{channel}"]
        assert (retry.partitions, retry.configs()) == (notify.partitions, notify.configs())


async def test_a_record_from_a_clock_far_ahead_waits_no_longer_than_the_longest_delay() -> None:
    # Given a record written by a worker whose clock ran an hour ahead
    sender, time = FakeSender({"n1": [unavailable()]}), FakeTime()
    runner = Runner(Delivery("email", Settings(), sender, sleep=time.sleep, clock=time.clock))
    await runner.batch([FakeEvent(request("n1"))])
    ahead = decode_retry(runner.retries[0].value).model_copy(
        update={"not_before": NOW + timedelta(hours=1)}
    )
    runner.retries[0].value = encode(ahead)
    # When it is taken, it waits the policy's longest delay, then goes
    agent = asyncio.create_task(runner.redeliver())
    await until(lambda: bool(time.slept))
    assert time.slept == [RetryPolicy().max_delay]
    time.advance(RetryPolicy().max_delay)
    assert await agent == [] and sender.sent == ["n1"]
