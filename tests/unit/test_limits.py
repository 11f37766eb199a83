"""The token bucket, on a fake clock: a sender never goes faster than its provider allows."""

from __future__ import annotations

import asyncio

from channels.limits import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_one_segment_a_second_spaces_the_texts_a_second_apart() -> None:
    clock = Clock()
    bucket = TokenBucket(1.0, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(4):
        await bucket.take()
        sent.append(clock.now)
    assert sent == [0.0, 1.0, 2.0, 3.0]


async def test_a_two_segment_text_costs_two_seconds() -> None:
    clock = Clock()
    bucket = TokenBucket(1.0, clock=clock, sleep=clock.sleep)
    await bucket.take(2)
    first = clock.now
    await bucket.take(1)
    assert first == 0.0 and clock.now == 2.0


async def test_concurrent_senders_share_the_rate_and_none_starves() -> None:
    clock = Clock()
    bucket = TokenBucket(10.0, clock=clock, sleep=clock.sleep)
    done: list[float] = []

    async def send() -> None:
        await bucket.take()
        done.append(clock.now)

    await asyncio.gather(*(send() for _ in range(30)))
    assert len(done) == 30
    assert clock.now <= 2.0 + 1e-9  # 10 at once, then 10 a second
