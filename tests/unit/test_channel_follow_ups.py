"""What a channel worker publishes once a message is handled, and when its sender closes."""

from __future__ import annotations

import asyncio

from delivering import FakeEvent, FakeSender, delivery, request

from channels.delivery import Delivery
from channels.errors import OptedOut, RetriableError
from channels.outcome import Outcome, follow_ups
from runtime.settings import Settings
from schemas.codec import decode_event, new_event
from schemas.topics import Topics

TOPICS = Topics("shop", 4)


def test_a_delivered_message_leads_to_nothing_more() -> None:
    assert follow_ups(Outcome(), TOPICS, "sms", b"c1", 2) == []


async def test_a_retriable_failure_goes_to_the_retry_topic_in_the_messages_own_partition() -> None:
    # Given a message of partition 2 whose attempt fails, to be tried again
    runner = delivery(FakeSender({"n1": [RetriableError("email", "503")]}))
    outcome = await runner.delivery.handle(FakeEvent(request("n1")), runner.ledger)
    # When the worker asks what to publish
    [(topic, key, value, partition)] = follow_ups(outcome, TOPICS, "email", b"c1", 2)
    # Then it is the retry record, under the message's key, in the same partition: the retry
    # topic is co-partitioned with the ledger that knows the notification
    assert (topic, key, partition) == ("shop.retry.email", b"c1", 2)
    assert value == outcome.retry


async def test_an_unusable_contact_is_told_to_the_stream_processor_and_dead_lettered() -> None:
    # Given a message the provider refuses for good: its recipient opted out
    runner = delivery(FakeSender({"n1": [OptedOut("email", "unsubscribed")]}))
    outcome = await runner.delivery.handle(FakeEvent(request("n1")), runner.ledger)
    assert outcome.feedback is not None
    # When the worker asks what to publish
    records = follow_ups(outcome, TOPICS, "email", b"c1", 2)
    # Then first contact.failed, keyed by the customer, on the events topic, then the dead
    # letter, each where the producer's partitioner puts it
    [(events, customer, feedback, p1), (dead, no_key, letter, p2)] = records
    assert (events, customer, p1) == ("shop.events", b"c1", None)
    assert decode_event(feedback).type == "contact.failed"
    assert (dead, no_key, letter, p2) == ("shop.deadletter", None, outcome.dead, None)


def test_the_feedback_is_keyed_by_the_customer_it_is_about() -> None:
    data = {
        "customer_id": "c9",
        "channel": "sms",
        "action": "opted_out",
        "address": "+358401234567",
        "reason": "21610",
    }
    feedback = new_event("contact.failed", data, source="test")
    [(_, key, _, _)] = follow_ups(Outcome(feedback=feedback), TOPICS, "sms", b"other", 0)
    assert key == b"c9"


class ClosingSender(FakeSender):
    closed = 0

    async def close(self) -> None:
        self.closed += 1


async def test_the_sender_is_closed_once_by_the_last_agent_to_stop() -> None:
    # Given both agents of a worker using one sender
    sender = ClosingSender()
    shared = Delivery("email", Settings(), sender)
    first_stopped = asyncio.Event()

    async def deliver() -> None:
        async with shared.in_use("deliver"):
            await first_stopped.wait()

    async def redeliver() -> None:
        async with shared.in_use("redeliver"):
            pass
        first_stopped.set()

    # When one stops, and then the other
    await asyncio.gather(deliver(), redeliver())
    # Then the sender was closed once, after both
    assert sender.closed == 1
    assert shared.users == set()
