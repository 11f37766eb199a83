"""faust's Kafka transport with the fetch batching faust does not expose.

faust builds its aiokafka consumer with fetch_min_bytes=1, so a fetch returns as soon as one
record is there. Under a steady trickle (the bench's 500 events/s) every worker then fetched a
few records at a time, and the broker, the consumer threads and the hand-overs to the agents
cost more CPU than the records: on the bench's two cores every process waited for a core, and
p99 latency went past 5 s. A fetch now waits up to `kafka_fetch_wait_ms` for
`kafka_fetch_min_bytes` (README, Benchmark).
"""

from __future__ import annotations

from typing import ClassVar

import aiokafka
import faust
from faust.transport.drivers import aiokafka as driver

from runtime.settings import Settings


class _ConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: driver.Transport) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        assert isinstance(transport, _Transport)
        # Read by aiokafka when the consumer starts and builds its fetcher (aiokafka 0.14).
        consumer._fetch_min_bytes = transport.fetch_min_bytes
        consumer._fetch_max_wait_ms = transport.fetch_wait_ms
        return consumer


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(driver.Transport):
    Consumer: ClassVar[type[_Consumer]] = _Consumer
    fetch_min_bytes = 1
    fetch_wait_ms = 500


def use_fetch_batching(app: faust.App, settings: Settings) -> None:
    """Give `app` a consumer that fetches in batches (call before the app starts)."""
    transport = _Transport(app.conf.broker_consumer, app)
    transport.fetch_min_bytes = settings.kafka_fetch_min_bytes
    transport.fetch_wait_ms = settings.kafka_fetch_wait_ms
    app.transport = transport
