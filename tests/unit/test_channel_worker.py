"""The channel worker's deliveries: dead letters, per-customer order, a bounded number in
flight, the ledger, a paused channel. Retries through the retry topic: test_channel_retry.py."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from delivering import (
    FakeEvent,
    FakeMessage,
    FakeSender,
    Runner,
    customers,
    delivery,
    request,
)

from aftercart.settings import Settings
from channels.errors import ConfigurationError, OptedOut, PermanentError, RetriableError
from channels.ledger import delivered
from channels.messages import Receipt
from channels.pipeline import Pipeline
from channels.retry import RetryPolicy
from channels.worker import Delivery


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


async def test_one_customers_messages_keep_their_order_unless_one_waits_for_a_retry() -> None:
    # Given a customer whose second message needs a retry, and another customer in the batch
    sender = FakeSender({"a2": [RetriableError("email", "503")]})
    batch = [
        FakeEvent(request(n, c), c.encode())
        for n, c in [("a1", "a"), ("b1", "b"), ("a2", "a"), ("a3", "a")]
    ]
    # When the batch is delivered
    runner = delivery(sender)
    await runner.batch(batch)
    # Then the customer's messages that went through at once kept their order
    assert [n for n in sender.sent if n.startswith("a")] == ["a1", "a3"]
    # And the one that waits for its retry is overtaken by the later one (docs/events.md)
    await runner.redeliver()
    assert sender.sent.index("a2") > sender.sent.index("a3")


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
    assert not delivered(runner.ledger, "n1")


async def test_a_contact_the_provider_condemns_is_reported_back_with_the_dead_letter() -> None:
    # Given a provider that says the recipient opted out (as Twilio's 21610 says)
    sender = FakeSender({"n1": [OptedOut("email", "21610: replied STOP")]})
    runner = delivery(sender)
    outcome = await runner.delivery.handle(FakeEvent(request("n1")))  # type: ignore[arg-type]
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
