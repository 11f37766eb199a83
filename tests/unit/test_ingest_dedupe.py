"""Publishing each event once, however often a shop redelivers it, with a hand-written Kafka."""

from __future__ import annotations

import asyncio

import pytest

from ingest.dedupe import SeenEvents, identity, identity_in, identity_of
from schemas.codec import encode, new_event
from schemas.events import CloudEvent

WINDOW = 48 * 3600.0


def cancelled(event_id: str, source: str = "https://shop.example") -> CloudEvent:
    return new_event("order.cancelled", {"order_id": "o1"}, source=source, event_id=event_id)


A, B, C = cancelled("a"), cancelled("b"), cancelled("c")


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class FakeKafka:
    """Records acknowledged batches; can hold a send open, or fail the next one."""

    def __init__(self) -> None:
        self.acknowledged: list[list[str]] = []
        self.attempts = 0
        self.sending = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()
        self.fail_next = False

    async def send(self, events: list[CloudEvent]) -> None:
        self.attempts += 1
        self.sending.set()
        await self.release.wait()
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("broker went away")
        self.acknowledged.append([e.id for e in events])

    def hold(self) -> None:
        self.release.clear()
        self.sending.clear()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def seen(clock: Clock) -> SeenEvents:
    return SeenEvents(WINDOW, clock)


async def test_each_event_is_sent_once(seen: SeenEvents) -> None:
    kafka = FakeKafka()

    first = await seen.publish_once([A, B], kafka.send)
    again = await seen.publish_once([A, B], kafka.send)

    assert first == [A, B]
    assert again == []
    assert kafka.acknowledged == [["a", "b"]]


async def test_only_the_new_events_of_a_request_are_sent(seen: SeenEvents) -> None:
    kafka = FakeKafka()
    await seen.publish_once([A], kafka.send)

    sent = await seen.publish_once([A, B, C], kafka.send)

    assert sent == [B, C]
    assert kafka.acknowledged == [["a"], ["b", "c"]]


async def test_an_event_named_twice_in_one_request_is_sent_once(seen: SeenEvents) -> None:
    kafka = FakeKafka()

    sent = await seen.publish_once([A, B, A], kafka.send)

    assert sent == [A, B]
    assert kafka.acknowledged == [["a", "b"]]


async def test_the_same_id_from_another_shop_is_another_event(seen: SeenEvents) -> None:
    kafka = FakeKafka()
    other_shop = cancelled("a", source="https://other.example")

    await seen.publish_once([A], kafka.send)

    assert await seen.publish_once([other_shop], kafka.send) == [other_shop]


async def test_a_concurrent_redelivery_waits_for_the_first_and_sends_nothing(
    seen: SeenEvents,
) -> None:
    kafka = FakeKafka()
    kafka.hold()
    first = asyncio.create_task(seen.publish_once([A, B], kafka.send))
    await kafka.sending.wait()

    second = asyncio.create_task(seen.publish_once([A, B], kafka.send))
    await asyncio.sleep(0.01)
    assert not second.done()  # it waits for the first instead of sending again
    kafka.release.set()

    assert await first == [A, B]
    assert await second == []
    assert kafka.acknowledged == [["a", "b"]]
    assert kafka.attempts == 1


async def test_when_the_first_send_fails_the_waiting_redelivery_sends(seen: SeenEvents) -> None:
    kafka = FakeKafka()
    kafka.hold()
    kafka.fail_next = True
    first = asyncio.create_task(seen.publish_once([A], kafka.send))
    await kafka.sending.wait()
    second = asyncio.create_task(seen.publish_once([A], kafka.send))
    await asyncio.sleep(0.01)

    kafka.release.set()

    with pytest.raises(ConnectionError):
        await first
    assert await second == [A]
    assert kafka.acknowledged == [["a"]]


async def test_a_failed_send_is_not_remembered(seen: SeenEvents) -> None:
    kafka = FakeKafka()
    kafka.fail_next = True
    with pytest.raises(ConnectionError):
        await seen.publish_once([A], kafka.send)

    assert await seen.publish_once([A], kafka.send) == [A]
    assert kafka.acknowledged == [["a"]]


async def test_an_event_is_forgotten_once_the_window_has_passed(
    seen: SeenEvents, clock: Clock
) -> None:
    kafka = FakeKafka()
    await seen.publish_once([A], kafka.send)

    clock.now += WINDOW - 1
    within = await seen.publish_once([A], kafka.send)
    clock.now += 2
    after = await seen.publish_once([A], kafka.send)

    assert within == []
    assert after == [A]
    assert kafka.acknowledged == [["a"], ["a"]]


def test_the_memory_only_holds_the_window(seen: SeenEvents, clock: Clock) -> None:
    seen.add("k1", at=clock.now)
    seen.add("k1", at=clock.now + 50)  # read back twice from the topic
    clock.now += WINDOW + 10
    seen.add("k2")
    clock.now += 100
    seen.add("k3")

    assert "k1" not in seen
    assert len(seen) == 2


def test_the_identity_of_a_record_on_the_topic_is_its_source_and_id() -> None:
    assert identity_in(encode(A)) == identity_of(A) == identity("https://shop.example", "a")


@pytest.mark.parametrize(
    "value",
    [None, b"", b"not json", b"\xff\xfe\x00", b"[1, 2]", b'"text"', b"{}", b'{"id": "a"}'],
)
def test_a_record_that_is_not_a_cloudevent_has_no_identity(value: bytes | None) -> None:
    assert identity_in(value) is None


def test_a_record_nested_beyond_reason_has_no_identity() -> None:
    assert identity_in(b"[" * 100_000) is None


def test_past_its_bound_the_memory_forgets_the_oldest_first(clock: Clock) -> None:
    seen = SeenEvents(WINDOW, clock, max_entries=3)
    for key in ("a", "b", "c"):
        seen.add(key)
        clock.now += 1
    seen.add("a")  # seen again: now the newest
    seen.add("d")
    assert len(seen) == 3
    assert "b" not in seen  # the oldest went, though still within the window
    assert {"a", "c", "d"} <= {k for k in "abcd" if k in seen}


def test_a_bounded_memory_never_holds_more_however_many_arrive(clock: Clock) -> None:
    seen = SeenEvents(WINDOW, clock, max_entries=100)
    for n in range(10_000):
        seen.add(str(n))
    assert len(seen) == 100
    assert "9999" in seen and "9900" in seen and "9899" not in seen
