"""Prometheus metrics: one registry per process, built by its factory and passed in.

Never prometheus-client's global default registry: two apps built in one test process would
register the same names twice. Each role defines what it counts next to its code
(ingest/metrics.py, streams/metrics.py, channels/metrics.py); what several layers share is here,
with the text every /metrics endpoint serves and the consumer lag of a faust worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


def new_registry() -> CollectorRegistry:
    """An empty registry for one process (or one test)."""
    return CollectorRegistry()


def exposition(registry: CollectorRegistry, accept: str = "") -> tuple[bytes, str]:
    """The registry as a scrape answer, in the format the scraper's Accept header asks for
    (Prometheus' text format unless it asks for OpenMetrics): (body, content type)."""
    encode, content_type = choose_encoder(accept)
    return encode(registry), content_type


class ConsumerLag(Collector):
    """A faust worker's lag per partition, read when scraped: the partition's end offset as
    last fetched (highwater) minus the group's committed offset, for each partition assigned
    that the worker commits (table changelogs it only reads at recovery have none)."""

    def __init__(self, app: Any) -> None:
        self.app = app  # a faust.App; typed loosely, as faust's consumer internals are read

    def collect(self) -> Iterator[Metric]:
        """One gauge sample per partition with both offsets known."""
        family = GaugeMetricFamily(
            "aftercart_consumer_lag",
            "Records not yet committed by this worker's consumer group, per partition",
            labels=["topic", "partition"],
        )
        for tp, lag in sorted(consumer_lag(self.app).items()):
            family.add_metric([tp[0], str(tp[1])], lag)
        yield family


def consumer_lag(app: Any) -> dict[tuple[str, int], int]:
    """{(topic, partition): lag} of the app's consumer; empty before it started."""
    if not app.started or app.rebalancing:
        return {}
    consumer = app.consumer
    # faust 0.15.3 keeps the offsets it committed here; it has no public getter for them.
    committed: dict[Any, int | None] = getattr(consumer, "_committed_offset", {})
    lags: dict[tuple[str, int], int] = {}
    for tp in consumer.assignment():
        done = committed.get(tp)
        try:
            end = consumer.highwater(tp)
        except AssertionError:  # aiokafka's "Partition is not assigned": revoked just now
            continue
        if done is not None and end is not None:
            lags[(tp.topic, tp.partition)] = max(0, end - done)
    return lags
