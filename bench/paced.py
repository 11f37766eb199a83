"""The latency pass's load generator: events onto Kafka at a steady rate, each stamped as it goes.

The events are encoded before the pass with a placeholder time; at its due moment each gets the
wall-clock time written in and is sent. The generator shares the bench machine's two cores with
the pipeline it measures, so it is kept cheap: aiokafka on uvloop, woken every `tick` to send
what has come due (kafka-python's producer, pacing one event at a time, used about a third of a
core at 500 events/s; this uses under a tenth).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import uvloop
from aiokafka import AIOKafkaProducer

PLACEHOLDER_TIME = datetime(2000, 1, 1, tzinfo=UTC)
PLACEHOLDER = b'"2000-01-01T00:00:00Z"'
TICK_S = 0.01


def stamp(epoch_s: float) -> bytes:
    """The CloudEvent `time` value of an epoch second, as the placeholder is replaced by."""
    return datetime.fromtimestamp(epoch_s, UTC).strftime('"%Y-%m-%dT%H:%M:%S.%fZ"').encode()


def publish_paced(
    bootstrap: str, topic: str, planned: Sequence[tuple[bytes, bytes]], rate: float
) -> list[float]:
    """Send each (key, value) at `rate` per second from now, its placeholder time replaced by
    the moment it is sent; returns those moments (epoch ms), in order."""
    gc.disable()  # the planned events are many long-lived objects: no collector walks mid-pass
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(_publish(bootstrap, topic, planned, rate))
    finally:
        gc.enable()


async def _publish(
    bootstrap: str, topic: str, planned: Sequence[tuple[bytes, bytes]], rate: float
) -> list[float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    sent: list[float] = []
    try:
        start = time.monotonic()
        for i, (key, value) in enumerate(planned):
            pause = start + i / rate - time.monotonic()
            if pause > 0:
                await asyncio.sleep(max(pause, TICK_S))
            now = time.time()
            await producer.send(topic, key=key, value=value.replace(PLACEHOLDER, stamp(now)))
            sent.append(now * 1000)
        await producer.flush()
    finally:
        await producer.stop()
    return sent
