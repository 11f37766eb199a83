"""A worker's own endpoint: /healthz while it runs, /readyz once its first rebalance is done,
/metrics with its consumer lag; over a fake faust app that plays the rebalance signals."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import httpx
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from broker import free_ports
from runtime.endpoint import Endpoint, Readiness, endpoint, serve_worker
from runtime.metrics import consumer_lag, new_registry
from runtime.settings import Settings


class TP(NamedTuple):
    topic: str
    partition: int


@dataclass
class FakeSignal:
    receivers: list[Callable[..., Awaitable[None]]] = field(default_factory=list)

    def connect(self, receiver: Callable[..., Awaitable[None]]) -> None:
        self.receivers.append(receiver)

    async def send(self, *args: Any) -> None:
        for receiver in self.receivers:
            await receiver("app", *args, signal=self)


@dataclass
class FakeConsumer:
    ends: dict[TP, int | None]
    _committed_offset: dict[TP, int | None]

    def assignment(self) -> set[TP]:
        return set(self.ends)

    def highwater(self, tp: TP) -> int | None:
        return self.ends[tp]


@dataclass
class FakeApp:
    """What the endpoint reads of a faust app: its rebalance signals and its consumer."""

    consumer: FakeConsumer
    started: bool = False
    rebalancing: bool = False
    on_partitions_revoked: FakeSignal = field(default_factory=FakeSignal)
    on_partitions_assigned: FakeSignal = field(default_factory=FakeSignal)
    on_rebalance_complete: FakeSignal = field(default_factory=FakeSignal)
    dependencies: list[Any] = field(default_factory=list)

    def add_dependency(self, service: Any) -> None:
        self.dependencies.append(service)


EVENTS = [TP("t.events", 0), TP("t.events", 1)]
CHANGELOG = TP("t-streams-customers-changelog", 0)


def fake_app() -> FakeApp:
    ends = {EVENTS[0]: 10, EVENTS[1]: 7, CHANGELOG: 3}
    committed: dict[TP, int | None] = {EVENTS[0]: 4, EVENTS[1]: 7, CHANGELOG: None}
    return FakeApp(FakeConsumer(ends, committed))


@pytest_asyncio.fixture(loop_scope="function")  # the tests' loop serves the endpoint
async def served() -> AsyncIterator[tuple[FakeApp, httpx.AsyncClient]]:
    app = fake_app()
    [port] = free_ports(1)
    settings = Settings(metrics_port_email=port)
    registry = new_registry()
    serve_worker(app, registry, settings, "email")
    [service] = app.dependencies
    await service.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield app, client
    finally:
        await service.stop()


async def test_alive_at_once_ready_once_partitions_are_assigned_and_recovered(
    served: tuple[FakeApp, httpx.AsyncClient],
) -> None:
    app, client = served
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    starting = await client.get("/readyz")
    assert starting.status_code == 503 and starting.json()["ready"] is False
    await app.on_partitions_revoked.send(set())
    await app.on_partitions_assigned.send(set(EVENTS))
    recovering = await client.get("/readyz")
    assert (recovering.status_code, recovering.json()["reason"]) == (503, "recovering tables")
    await app.on_rebalance_complete.send()
    assert (await client.get("/readyz")).json() == {"ready": True, "partitions": 2}
    await app.on_partitions_revoked.send(set(EVENTS))  # a later rebalance
    assert (await client.get("/readyz")).json() == {"ready": False, "reason": "rebalancing"}


async def test_metrics_parse_and_give_the_lag_of_each_partition_committed(
    served: tuple[FakeApp, httpx.AsyncClient],
) -> None:
    app, client = served
    [before] = text_string_to_metric_families((await client.get("/metrics")).text)
    assert before.samples == []  # not started: no consumer to ask
    app.started = True
    answer = await client.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    [family] = text_string_to_metric_families(answer.text)
    lags = {(s.labels["topic"], s.labels["partition"]): s.value for s in family.samples}
    assert (family.name, family.type) == ("aftercart_consumer_lag", "gauge")
    assert lags == {("t.events", "0"): 6, ("t.events", "1"): 0}


def test_no_lag_is_told_while_a_rebalance_runs() -> None:
    app = fake_app()
    app.started = app.rebalancing = True
    assert consumer_lag(app) == {}


def test_port_zero_serves_nothing() -> None:
    app = fake_app()
    serve_worker(app, new_registry(), Settings(metrics_port_streams=0), "streams")
    assert app.dependencies == []


async def test_a_port_taken_is_an_error_naming_the_setting() -> None:
    [port] = free_ports(1)
    first = Endpoint(endpoint(new_registry(), Readiness()), "127.0.0.1", port, "FIRST")
    await first.start()
    try:
        second = Endpoint(endpoint(new_registry(), Readiness()), "127.0.0.1", port, "THE_SETTING")
        with pytest.raises(RuntimeError, match="set THE_SETTING to a free port, or 0"):
            await second.on_start()
    finally:
        await first.stop()
