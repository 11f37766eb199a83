"""Where a redrive puts each kind of dead letter back, how they are counted, and the ids and
times an operator types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from operate.deadletters import Entry, groups, parse_id, target
from operate.timespec import parse_when
from schemas.codec import decode_retry, encode
from schemas.deadletter import Attempt, dead_letter
from schemas.notification import NotificationRequest, Recipient
from schemas.topics import Topics

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
TOPICS = Topics("shop", 4)


def request() -> NotificationRequest:
    return NotificationRequest(
        notification_id="n-1",
        channel="sms",
        template="order.placed",
        language="en",
        customer_id="c-1",
        event_id="e-1",
        event_type="order.placed",
        event_time=NOW,
        recipient=Recipient(phone="+358401234567"),
        data={},
        created_at=NOW,
    )


def failed(n: int) -> Attempt:
    return Attempt(at=NOW + timedelta(seconds=n), error="503", kind="RetriableError", code="503")


def entry(stage: str, topic: str, original: bytes, attempts: int = 0, **kw: object) -> Entry:
    record = dead_letter(
        reason=str(kw.get("reason", "gave up")),
        stage=stage,
        topic=topic,
        original=original,
        key=b"c-1",
        partition=3,
        offset=17,
        attempts=[failed(n) for n in range(attempts)],
    )
    return Entry("0:5", record.model_copy(update={"failed_at": NOW}))


def test_a_notification_given_up_on_goes_to_its_retry_topic_with_its_history() -> None:
    # Given an SMS the worker gave up on after two attempts
    dead = entry("channel-sms", TOPICS.notify("sms"), encode(request()), attempts=2)
    # When its redrive is planned
    to = target(dead, TOPICS, NOW)
    # Then it is a retry record due now, in the partition it came from, with both attempts
    assert (to.topic, to.partition, to.key) == ("shop.retry.sms", 3, b"c-1")
    record = decode_retry(to.value)
    assert record.request.notification_id == "n-1"
    assert record.not_before == NOW
    assert [a.at for a in record.attempts] == [failed(0).at, failed(1).at]
    assert (record.origin.topic, record.origin.offset) == ("shop.notify.sms", 17)


def test_a_message_that_could_not_be_read_goes_back_as_it_was() -> None:
    dead = entry("streams", TOPICS.events, b"\x00not json", reason="Invalid JSON")
    to = target(dead, TOPICS, NOW)
    assert (to.topic, to.partition, to.key, to.value) == ("shop.events", 3, b"c-1", b"\x00not json")


def test_a_webhook_the_gateway_could_not_map_cannot_be_redriven() -> None:
    dead = entry("ingest", "shopify", b'{"id": 1}', reason="no customer")
    with pytest.raises(ValueError, match="fix the mapping, then have the shop redeliver it"):
        target(dead, TOPICS, NOW)


def test_nothing_goes_to_a_topic_outside_the_pipeline() -> None:
    dead = entry("streams", "somebody.elses.topic", b"{}")
    with pytest.raises(ValueError, match="not a topic of this pipeline"):
        target(dead, TOPICS, NOW)


def test_dead_letters_are_counted_by_stage_and_reason_newest_group_first() -> None:
    old = entry("streams", TOPICS.events, b"x", reason="Invalid JSON")
    new = entry("channel-sms", TOPICS.notify("sms"), encode(request()), 1, reason="gave up")
    later = Entry("1:9", new.record.model_copy(update={"failed_at": NOW + timedelta(days=1)}))
    found = groups([old, new, later])
    assert [(g.stage, len(g.ids)) for g in found] == [("channel-sms", 2), ("streams", 1)]
    assert found[0].ids == ["0:5", "1:9"]
    assert (found[0].oldest, found[0].newest) == (NOW, NOW + timedelta(days=1))


@given(st.integers(0, 10_000), st.integers(0, 10**12))
def test_an_id_is_partition_and_offset(partition: int, offset: int) -> None:
    assert parse_id(f" {partition}:{offset} ") == f"{partition}:{offset}"


@pytest.mark.parametrize("text", ["", "1", "1:", ":2", "a:1", "1:2:3", "-1:2"])
def test_an_id_that_is_not_one_is_refused_with_its_form(text: str) -> None:
    with pytest.raises(ValueError, match="PARTITION:OFFSET"):
        parse_id(text)


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("7d", timedelta(days=7)),
        ("1w", timedelta(weeks=1)),
        ("1.5h", timedelta(minutes=90)),
    ],
)
def test_a_duration_counts_back_from_now(text: str, back: timedelta) -> None:
    assert parse_when(text, NOW) == NOW - back


def test_an_iso_time_without_a_zone_is_utc_and_nonsense_is_refused() -> None:
    assert parse_when("2026-12-01T08:00:00", NOW) == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert parse_when("2026-12-01T10:00:00+02:00", NOW) == datetime(2026, 12, 1, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match=r"neither an ISO-8601 time .* nor a duration"):
        parse_when("yesterday", NOW)
