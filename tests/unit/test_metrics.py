"""The workers' metrics: their names and labels as Prometheus' own parser reads them, and what
each counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from deciding import PROFILE, decide_now
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from aftercart.demo.sample_shop import CUSTOMERS, _order_data
from channels.errors import PermanentError, RetriableError
from channels.messages import EmailMessage, Receipt
from channels.metrics import ChannelMetrics, outcome_of
from channels.outcome import Outcome
from runtime.metrics import exposition, new_registry
from schemas.codec import encode, new_event
from schemas.decision import DecisionRecord
from streams.metrics import StreamMetrics, decision_labels, reason_class
from streams.records import decision_record, held_record

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scraped(registry: CollectorRegistry) -> Samples:
    """Every sample of the registry, read back by prometheus-client's own text parser."""
    body, content_type = exposition(registry)
    assert content_type.startswith("text/plain; version=0.0.4")
    samples: Samples = {}
    for family in text_string_to_metric_families(body.decode()):
        assert family.name.startswith("aftercart_")
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def labels(**given: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(given.items()))


# Channels

RECEIPT = Receipt("email", "n1", "sg-1")
MESSAGE = EmailMessage("n1", "ann@example.com", None, "Hi", "text", "<p>html</p>")


@pytest.mark.parametrize(
    ("outcome", "name"),
    [
        (Outcome(receipt=RECEIPT), "sent"),
        (Outcome(receipt=RECEIPT, found=True), "sent"),
        (Outcome(skipped=True), "already_sent"),
        (Outcome(retry=b"{}"), "retried"),
        (Outcome(dead=b"{}"), "dead_lettered"),
        (Outcome(dead=b"{}", feedback=None), "dead_lettered"),
    ],
)
def test_each_outcome_of_a_message_has_one_name(outcome: Outcome, name: str) -> None:
    assert outcome_of(outcome) == name


class ScriptedSender:
    channel = "email"
    can_find = True

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.closed = False

    async def send(self, message: Any) -> Receipt:
        if self.failures:
            raise self.failures.pop(0)
        return RECEIPT

    async def find(self, message: Any, since: datetime) -> Receipt | None:
        return RECEIPT

    async def close(self) -> None:
        self.closed = True


async def test_a_channel_worker_counts_outcomes_and_times_each_provider_call() -> None:
    registry = new_registry()
    metrics = ChannelMetrics(registry, "email")
    throttled = RetriableError("email", "slow down", "429", retry_after=1)
    timeout = RetriableError("email", "TimeoutError", maybe_accepted=True)
    inner = ScriptedSender(throttled, timeout, PermanentError("email", "bad address", "400"))
    sender = metrics.timed(inner, "sendgrid")
    for _ in range(3):
        with pytest.raises((RetriableError, PermanentError)):
            await sender.send(MESSAGE)
    assert await sender.send(MESSAGE) == RECEIPT
    assert await sender.find(MESSAGE, datetime.now(UTC)) == RECEIPT
    await sender.close()
    assert inner.closed and sender.can_find and sender.channel == "email"
    for outcome in (Outcome(receipt=RECEIPT), Outcome(skipped=True), Outcome(retry=b"{}")):
        metrics.count(outcome)

    samples = scraped(registry)
    counted = {
        name: samples[("aftercart_notifications_total", labels(channel="email", outcome=name))]
        for name in ("sent", "already_sent", "retried", "dead_lettered")
    }
    assert counted == {"sent": 1, "already_sent": 1, "retried": 1, "dead_lettered": 0}
    for status in ("ok", "429", "RetriableError", "400"):
        call = {"channel": "email", "provider": "sendgrid", "status": status}
        assert samples[("aftercart_provider_request_seconds_count", labels(**call))] == 1
        slowest = labels(**call, le="+Inf")
        assert samples[("aftercart_provider_request_seconds_bucket", slowest)] == 1


# Streams


def classes(records: list[DecisionRecord]) -> set[tuple[str, str, str]]:
    return {label for record in records for label in decision_labels(record)}


def decided(event_type: str, profile: Any, prefs: Any, now: datetime | None = None) -> set[Any]:
    data = {**_order_data(CUSTOMERS[0], event_type, 1), "customer_id": "c1"}
    event = new_event(event_type, data, source="test")
    at = now or datetime(2026, 11, 23, 12, tzinfo=UTC)
    decisions = decide_now(event, profile, prefs, at)
    return classes([decision_record(event, decisions, at)])


def test_the_reasons_streams_gives_fall_into_named_classes() -> None:
    all_three = {"transactional": {"email": True, "sms": True, "push": True}}
    night = datetime(2026, 11, 23, 23, tzinfo=UTC)
    assert decided("order.placed", PROFILE, all_three) == {
        ("email", "sent", "none"),
        ("sms", "sent", "none"),
        ("push", "sent", "none"),
    }
    assert ("sms", "deferred", "quiet_hours") in decided("order.paid", PROFILE, all_three, night)
    assert ("sms", "suppressed", "not_chosen") in decided("order.paid", PROFILE, None)
    off = {"transactional": {"email": False}}
    assert ("email", "suppressed", "switched_off") in decided("order.paid", PROFILE, off)
    no_phone = {**PROFILE, "phone": None}
    assert ("sms", "suppressed", "no_contact") in decided("order.paid", no_phone, all_three)
    assert ("email", "suppressed", "no_consent") in decided("checkout.abandoned", PROFILE, None)
    invalid = {"customer_id": "c1", "email": "a@b.fi", "phone_invalid": {"reason": "landline"}}
    sms_only = {"transactional": {"email": False, "sms": True, "push": False}}
    assert decided("order.paid", invalid, sms_only) >= {
        ("email", "sent", "fallback_to_email"),
        ("sms", "suppressed", "contact_unusable"),
    }


@pytest.mark.parametrize(
    ("reason", "name"),
    [
        ("stale: the parcel already reached out for delivery", "stale"),
        ("by the order's cancellation", "cancelled_by_news"),
        ("7 days after delivery", "review_wait"),
        ("reminder 2, 24 h after the checkout was left", "reminder_wait"),
        ("at most 1 offer or reminder by SMS per 24 h", "marketing_cap"),
        ("not a message for the customer (it updates what we know)", "no_message"),
        ("something new", "other"),
        (None, "none"),
    ],
)
def test_reasons_of_whole_events_and_waits(reason: str | None, name: str) -> None:
    assert reason_class(reason) == name


async def test_the_stream_processor_counts_events_decisions_and_dead_letters() -> None:
    registry = new_registry()
    metrics = StreamMetrics(registry)
    event = new_event("customer.upserted", {"customer_id": "c1"}, source="test")
    read = metrics.reading(lambda value, received=None: event)
    assert read(encode(event)) is event
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    metrics.decided(
        [decision_record(event, [], now), held_record(event, "suppressed", "stale: x", now)]
    )
    rejected: list[str] = []

    async def reject(message: Any, reason: str) -> None:
        rejected.append(reason)

    class Unreadable:
        class message:  # shaped as faust's event.message
            topic = "t.events"

    await metrics.counting(reject)(Unreadable(), "not JSON")
    assert rejected == ["not JSON"]

    samples = scraped(registry)
    assert samples[("aftercart_stream_events_total", labels(type="customer.upserted"))] == 1
    no_message = labels(channel="none", outcome="suppressed", reason="no_message")
    assert samples[("aftercart_stream_decisions_total", no_message)] == 1
    stale = labels(channel="none", outcome="suppressed", reason="stale")
    assert samples[("aftercart_stream_decisions_total", stale)] == 1
    assert samples[("aftercart_stream_dead_letters_total", labels(topic="t.events"))] == 1
