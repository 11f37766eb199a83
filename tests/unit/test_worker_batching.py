"""Every worker's Kafka connections batch as the settings say (README, Benchmark)."""

from __future__ import annotations

import pytest

from channels.worker import create_channel_app
from runtime.settings import Settings
from streams.app import create_app

SETTINGS = Settings(kafka_linger_ms=40, kafka_fetch_wait_ms=30, kafka_fetch_min_bytes=4096)


@pytest.mark.parametrize("build", [create_app, lambda s: create_channel_app(s, "sms")])
async def test_fetches_wait_for_a_batch_and_producers_linger(build: object) -> None:
    app = build(SETTINGS)  # type: ignore[operator]
    consumer = app.consumer._thread._create_worker_consumer(app.transport)
    try:
        # What aiokafka sends the broker with every fetch request.
        assert (consumer._fetch_min_bytes, consumer._fetch_max_wait_ms) == (4096, 30)
        assert app.producer.linger_ms == 40
    finally:
        await consumer.stop()
