"""One real Kafka broker per test session, started by the project's own launcher."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from browsing import CHROMIUM
from stacks import operator_env

from aftercart.stack import Stack
from broker import LocalKafka, create_topics, free_ports
from runtime.settings import Settings
from schemas.topics import Topics

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder `integration`, so `-m "not integration"` skips them."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of a broker on free loopback ports, stopped when the session ends."""
    port, controller_port = free_ports(2)
    kafka = LocalKafka(
        tmp_path_factory.mktemp("kafka"),
        port,
        controller_port,
        cache_dir=Settings().cache_dir,
    )
    with kafka:
        yield kafka.bootstrap


@pytest.fixture
def topics(kafka_bootstrap: str) -> Topics:
    """A fresh prefix per test, every topic created, so tests never share data."""
    names = Topics(prefix=f"t{uuid4().hex[:8]}", partitions=2)
    create_topics(kafka_bootstrap, names.all())
    return names


@pytest.fixture
def cli_env(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator's shell pointed at the module's stack (its `stack` fixture)."""
    operator_env(stack, monkeypatch)


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium, for the tests that drive a real browser (browsing.py)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: `make browser` installs Debian's (as root), "
            "or set CHROMIUM=/path/to/chromium"
        )
    return CHROMIUM
