"""Bought-together counts on the real broker, written by one worker and read by every worker.

The workers run a minimal stream processor: the products agent, its table and the changelog
replica every worker reads (streams/products.py), and in place of the customers agent a probe
agent on the events topic that answers "what goes with A?" from the lookup, on the decisions
topic. Run as a script, this file is that worker
(`python tests/integration/test_together_workers.py`, settings from AFTERCART_* variables).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import faust
import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer

from aftercart.processes import Child, Supervisor
from runtime.apps import faust_app, run_worker
from runtime.child_env import settings_env
from runtime.settings import Settings
from schemas.events import OrderPlaced
from schemas.topics import Topics
from streams.products import install_products
from streams.routing import purchases
from streams.together import complements


def probe_app(settings: Settings) -> faust.App:
    """The products agent, and a probe agent reading the lookup from the events partitions."""
    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    app = faust_app(topics.streams_app_id, settings)
    lookup = install_products(app, topics)

    @app.agent(app.topic(topics.events))
    async def probe(stream: faust.StreamT) -> None:
        async for message in stream.events():
            question = orjson.loads(message.value)
            picks = complements(lookup, question["skus"], (), 3)
            answer = {
                "pid": os.getpid(),
                "partition": message.message.partition,
                "picks": [p["sku"] for p in picks],
            }
            await app.producer.send(
                topics.decisions,
                message.key,
                orjson.dumps(answer),
                partition=None,
                timestamp=None,
                headers=None,
            )

    return app


class Probes:
    """Asks both events partitions what goes with A, and keeps the latest answer of each."""

    def __init__(self, bootstrap: str, topics: Topics, workers: Supervisor) -> None:
        self.topics, self.workers = topics, workers
        self.producer = KafkaProducer(bootstrap_servers=bootstrap)
        self.answers = KafkaConsumer(
            topics.decisions, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
        )
        self.latest: dict[int, dict[str, Any]] = {}

    def ask_until(self, done: Any, timeout: float, what: str) -> dict[int, dict[str, Any]]:
        """Probe both partitions every half second until done(latest answers) holds."""
        deadline = time.monotonic() + timeout
        while not done(self.latest):
            for child in self.workers.dead():
                raise AssertionError(f"{child.name} exited; its log ends:\n{child.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; answers: {self.latest}")
            for partition in range(self.topics.partitions):
                value = orjson.dumps({"skus": ["A"]})
                self.producer.send(
                    self.topics.events, key=b"probe", value=value, partition=partition
                )
            self.producer.flush()
            for records in self.answers.poll(timeout_ms=500).values():
                for record in records:
                    answer = orjson.loads(record.value)
                    self.latest[answer["partition"]] = answer
        return self.latest

    def close(self) -> None:
        self.producer.close()
        self.answers.close()


def placed(order_id: str, *skus: str) -> OrderPlaced:
    items = [{"sku": s, "name": s.lower(), "quantity": 1, "unit_price": "1.00"} for s in skus]
    return OrderPlaced.model_validate(
        {
            "customer_id": "c1",
            "order_id": order_id,
            "order_number": f"#{order_id}",
            "currency": "EUR",
            "total": "1.00",
            "items": items,
        }
    )


def publish(bootstrap: str, topics: Topics, *orders: OrderPlaced) -> None:
    """Publish purchase records as the customers agent routes them (streams/routing.py)."""
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        for order in orders:
            for topic, key, value in purchases(topics.purchases, order):
                producer.send(topic, key=key, value=value)
        producer.flush()
    finally:
        producer.close()


@pytest.fixture
def settings(kafka_bootstrap: str, topics: Topics, tmp_path: Path) -> Settings:
    return Settings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topics.prefix,
        topic_partitions=topics.partitions,
        data_dir=tmp_path,
        log_level="info",
    )


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Supervisor]:
    supervisor = Supervisor(tmp_path / "logs")
    yield supervisor
    supervisor.stop_all()


def start(workers: Supervisor, settings: Settings, name: str) -> Child:
    env = settings_env(settings.model_copy(update={"data_dir": settings.data_dir / name}))
    return workers.spawn(name, [sys.executable, __file__], env)


def answered(picks: list[str], *pids: int) -> Any:
    """Both partitions answer `picks`, from different workers, including each of `pids`."""

    def check(latest: dict[int, dict[str, Any]]) -> bool:
        got = list(latest.values())
        by = {a["pid"] for a in got}
        return (len(got) == 2 and all(a["picks"] == picks for a in got) and len(by) == 2) and set(
            pids
        ) <= by

    return check


def test_every_worker_ranks_the_products_bought_together_more_often_first(
    settings: Settings, topics: Topics, workers: Supervisor
) -> None:
    bootstrap = settings.kafka_bootstrap
    first, second = start(workers, settings, "w1"), start(workers, settings, "w2")
    probes = Probes(bootstrap, topics, workers)
    try:
        # Given two workers, each with one partition of the events and purchases topics
        pids = (first.process.pid, second.process.pid)
        probes.ask_until(answered([], *pids), 120, "both workers to answer")

        # When A+B is bought twice and A+C once
        publish(bootstrap, topics, placed("o1", "A", "B"), placed("o2", "A", "B"))
        publish(bootstrap, topics, placed("o3", "A", "C"))
        # Then both workers (only one of which counts A) suggest B before C for A
        probes.ask_until(answered(["B", "C"], *pids), 60, "B before C from both workers")

        # When the second worker is replaced by one that starts empty
        workers.stop(second)
        third = start(workers, settings, "w3")
        # Then the new worker recovers every product's counts from the changelog
        pids = (first.process.pid, third.process.pid)
        probes.ask_until(answered(["B", "C"], *pids), 120, "the new worker to recover")

        # And purchases after the recovery reach both workers: A+C twice more puts C first
        publish(bootstrap, topics, placed("o4", "A", "C"), placed("o5", "A", "C"))
        probes.ask_until(answered(["C", "B"], *pids), 60, "C before B from both workers")
    finally:
        probes.close()


if __name__ == "__main__":
    configured = Settings()
    run_worker(probe_app(configured), configured)
