"""The channel worker's deliveries: dead letters, per-customer order, a bounded number in
flight, the ledger, a paused channel. Retries through the retry topic: test_channel_retry.py."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from delivering import (
    LOST,
    NOW,
    FakeChangelog,
    FakeEvent,
    FakeMessage,
    FakeSender,
    Runner,
    customers,
    delivery,
    request,
)

from channels.delivery import Delivery
from channels.errors import ConfigurationError, OptedOut, PermanentError, RetriableError
from channels.ledger import Ledger, is_sent
from channels.messages import Receipt
from channels.pipeline import Pipeline
from channels.retry import RetryPolicy
from runtime.settings import Settings


async def test_a_permanent_failure_is_dead_lettered_at_once() -> None:
    sender = FakeSender({"n1": [PermanentError("email", "400 bad address", "400")]})
    dead = await delivery(sender).batch([FakeEvent(request("n1")), FakeEvent(request("n2", "c2"))])
    reasons = [json.loads(d)["reason"] for d in dead]
    assert len(reasons) == 1
    assert reasons[0].startswith("permanent") and "400 bad address" in reasons[0]
    assert sender.attempts.count("n1") == 1
    assert sender.sent == ["n2"]


async def test_bytes_that_are_not_a_notification_are_dead_lettered() -> None:
    dead = await delivery(FakeSender()).batch([FakeEvent(b"{not json")])
    assert "Invalid JSON" in json.loads(dead[0])["reason"]


async def test_a_customers_later_messages_wait_behind_one_that_waits_for_a_retry() -> None:
    # Given a provider that fails only the customer's second message, once
    sender = FakeSender({"a2": [RetriableError("email", "503")]})
    batch = [
        FakeEvent(request(n, c), c.encode())
        for n, c in [("a1", "a"), ("b1", "b"), ("a2", "a"), ("a3", "a"), ("b2", "b")]
    ]
    # When the batch is delivered
    runner = delivery(sender)
    await runner.batch(batch)
    # Then the customer's later message waits behind the one being retried, unsent, while
    # the other customer is not held up
    assert sender.sent == ["a1", "b1", "b2"]
    assert sorted(runner.ledger.line("a")[i]["n"] for i in range(2)) == ["a2", "a3"]
    # And once the retry goes, the customer's messages arrive in the order they came
    while runner.retries:
        await runner.redeliver()
    assert [n for n in sender.sent if n.startswith("a")] == ["a1", "a2", "a3"]
    assert runner.ledger.line("a") == []


async def test_at_most_the_limit_is_in_flight_and_every_message_is_acknowledged_once() -> None:
    # Given a provider that answers slowly, and 20 messages of 20 customers
    in_flight, most = 0, 0

    class Slow(FakeSender):
        async def send(self, message: Any) -> Receipt:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1
            return await super().send(message)

    sender = Slow()
    runner = delivery(sender)
    events = [
        FakeEvent(request(f"n{i}", f"c{i}"), f"c{i}".encode(), FakeMessage(offset=i))
        for i in range(20)
    ]
    # When they go through a pipeline of 5
    await runner.batch(events, limit=5)
    # Then never more than 5 were at the provider, and each was acknowledged once
    assert most == 5
    assert sorted(runner.acked) == list(range(20))
    assert sorted(sender.sent) == sorted(f"n{i}" for i in range(20))


async def test_a_failing_job_does_not_stop_the_pipeline() -> None:
    pipeline, done = Pipeline(2), []

    async def broken() -> None:
        raise RuntimeError("bug")

    async def fine() -> None:
        done.append("ok")

    await pipeline.submit(b"k", broken)
    await pipeline.submit(b"k", fine)  # the same key: it waits for the broken one, then runs
    await pipeline.drain()
    assert done == ["ok"] and len(pipeline) == 0


async def test_a_message_redelivered_after_it_was_sent_is_not_sent_again() -> None:
    # Given a message delivered once (the provider accepted it and the ledger recorded it)
    sender = FakeSender()
    runner = delivery(sender)
    message = FakeEvent(request("n1"))
    await runner.batch([message])
    # When the same message comes again (a crash before the commit, a rebalance, a replay)
    again = await runner.batch([message, FakeEvent(request("n2"))])
    # Then only the new one goes to the provider, and the old one is acknowledged all the same
    assert again == []
    assert sender.sent == ["n1", "n2"]
    assert runner.acked == [0, 0, 0]


async def test_a_message_that_failed_is_not_in_the_ledger() -> None:
    sender = FakeSender({"n1": [PermanentError("email", "400 bad address")]})
    runner = delivery(sender)
    await runner.batch([FakeEvent(request("n1"))])
    assert not is_sent(runner.ledger.entry("n1"))


async def test_a_contact_the_provider_condemns_is_reported_back_with_the_dead_letter() -> None:
    # Given a provider that says the recipient opted out (as Twilio's 21610 says)
    sender = FakeSender({"n1": [OptedOut("email", "21610: replied STOP")]})
    runner = delivery(sender)
    event = FakeEvent(request("n1"))
    outcome = await runner.delivery.handle(event, runner.ledger)  # type: ignore[arg-type]
    # Then the message is dead-lettered, and a contact.failed goes back to the stream processor
    assert outcome.dead is not None and outcome.feedback is not None
    data = outcome.feedback.data  # type: ignore[attr-defined]
    assert (outcome.feedback.type, data.action, data.address) == (
        "contact.failed",
        "opted_out",
        "c1@example.com",
    )


class KeyRevoked(FakeSender):
    """A provider that refuses our key (401) until someone fixes it."""

    def __init__(self) -> None:
        super().__init__()
        self.fixed = False
        self.refusals = 0

    async def send(self, message: Any) -> Receipt:
        await asyncio.sleep(0)  # a network round trip: other messages get going meanwhile
        if not self.fixed:
            self.refusals += 1
            raise ConfigurationError("email", "HTTP 401: API key rejected", "401")
        return await super().send(message)


async def test_a_refused_key_pauses_the_whole_channel_until_it_is_fixed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a revoked key, fixed by the operator while the channel's third probe waits
    sender, probes = KeyRevoked(), []

    async def sleep(seconds: float) -> None:
        probes.append(seconds)
        if len(probes) == 3:
            sender.fixed = True

    runner = Runner(Delivery("email", Settings(channel_max_attempts=2), sender, sleep=sleep))
    # When 20 customers' messages come
    with caplog.at_level(logging.ERROR):
        dead = await runner.batch(customers(20))
    # Then nothing was dead-lettered, though each message met more refusals than its attempts
    assert dead == []
    assert sorted(sender.sent) == sorted(f"n{i}" for i in range(20))
    # one message probed the provider every pause period while the others waited, and the
    # pause was said once, loudly, and again at each probe that was refused
    assert probes == [RetryPolicy().pause_delay] * 3
    assert sender.refusals == 20 + 2
    paused = [r.getMessage() for r in caplog.records if "PAUSED" in r.getMessage()]
    assert len(paused) == 3 and "PAUSED: the provider refuses" in paused[0]
    assert not runner.delivery.pause.paused


async def test_a_probe_refused_for_its_own_reasons_resumes_the_channel() -> None:
    # Given a paused channel whose probe then meets a permanent error of its own (a bad address)
    sender = KeyRevoked()

    async def sleep(seconds: float) -> None:
        sender.fixed = True
        sender.script["n0"] = [PermanentError("email", "400 bad address", "400")]

    runner = Runner(Delivery("email", Settings(), sender, sleep=sleep))
    # (n0 is refused first, so it is the probe; were the channel to stay paused, this would hang)
    dead = await asyncio.wait_for(runner.batch(customers(5)), 5)
    # Then that message is dead-lettered and every other one goes out
    assert [json.loads(d)["reason"] for d in dead] == ["permanent: email [400]: 400 bad address"]
    assert sorted(sender.sent) == ["n1", "n2", "n3", "n4"]


async def test_an_answer_lost_in_a_timeout_is_looked_up_and_the_message_not_sent_again() -> None:
    # Given a provider that accepts n1 but whose answer is lost (the request times out)
    sender = FakeSender({"n1": [LOST]})
    runner = delivery(sender, channel_lookup_after_s=0)
    # When the message is delivered, and its retry record comes due
    dead = await runner.settle([FakeEvent(request("n1"))])
    # Then the retry asks the provider first, finds it, and does not send it a second time
    assert dead == [] and sender.sent == ["n1"]
    assert sender.attempts == ["n1"] and sender.lookups == ["n1"]
    assert runner.changelog.states("n1") == ["sending", "at"]


def crashed_mid_send(sender: FakeSender, *, accepted: bool) -> tuple[Runner, list[float]]:
    """A worker restarted after one that died between `sending` and the provider's answer."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    def clock() -> datetime:
        return NOW + timedelta(seconds=sum(waits))

    runner = Runner(Delivery("email", Settings(), sender, sleep=sleep, clock=clock))
    went_out = NOW - timedelta(seconds=5)
    runner.ledger.data["n1"] = {"sending": went_out.isoformat()}
    if accepted:
        sender.sent.append("n1")
    return runner, waits


async def test_after_a_crash_mid_send_a_message_the_provider_has_is_not_sent_again() -> None:
    sender = FakeSender()
    runner, waits = crashed_mid_send(sender, accepted=True)
    # When the message is redelivered to the restarted worker
    dead = await runner.batch([FakeEvent(request("n1"))])
    # Then it waits until the lost attempt is surely over (15 s after it went out), asks, and
    # records what the provider said, without a second send
    assert dead == [] and waits == [10.0]
    assert sender.lookups == ["n1"] and sender.attempts == []
    assert is_sent(runner.ledger.entry("n1"))


async def test_after_a_crash_mid_send_a_message_the_provider_lacks_is_sent_once() -> None:
    sender = FakeSender()
    runner, _ = crashed_mid_send(sender, accepted=False)
    await runner.batch([FakeEvent(request("n1"))])
    assert sender.lookups == ["n1"] and sender.sent == ["n1"]
    assert runner.changelog.states("n1") == ["sending", "at"]


async def test_a_refusal_is_an_answer_so_the_retry_asks_nothing() -> None:
    sender = FakeSender({"n1": [RetriableError("email", "HTTP 503")]})
    runner = delivery(sender)
    await runner.settle([FakeEvent(request("n1"))])
    assert sender.lookups == [] and sender.sent == ["n1"]
    assert runner.changelog.states("n1") == ["sending", "refused", "sending", "at"]


async def test_a_provider_that_cannot_be_asked_gets_no_intent_records() -> None:
    # Given a channel whose provider cannot say what it has (web push, SMTP)
    sender = FakeSender({"n1": [LOST]})
    sender.can_find = False  # type: ignore[misc]
    runner = delivery(sender)
    await runner.settle([FakeEvent(request("n1"))])
    # Then nothing is written before a send, and a lost answer means a second send (the
    # window docs/events.md names)
    assert runner.changelog.states("n1") == ["at"]
    assert sender.sent == ["n1", "n1"] and sender.lookups == []


async def test_ledger_entries_older_than_the_replay_horizon_are_pruned_with_tombstones() -> None:
    # Given a ledger with one notification sent 9 days ago and one sent now, in partitions 2, 3
    now = [NOW - timedelta(days=9)]
    changelog = FakeChangelog()
    ledger = Ledger({}, changelog.write, lambda: now[0])
    await ledger.sent(2, "old", "p1")
    now[0] = NOW
    await ledger.sent(3, "new", "p2")
    # When the ledger is pruned to its 8 days
    pruned = await ledger.prune(timedelta(hours=Settings().ledger_keep_h))
    # Then the old one is forgotten, with a tombstone in its own partition for compaction
    assert pruned == 1
    assert ledger.entry("old") is None and is_sent(ledger.entry("new"))
    assert changelog.tombstones == [(2, "old")]
