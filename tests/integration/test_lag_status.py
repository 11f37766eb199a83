"""`aftercart lag` and `aftercart status` on the real broker: a group's committed offsets, lag
and last move as Kafka has them, the --max verdict, and the processes of a running stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from stacks import stack_settings, status_json

from aftercart.cli import main
from aftercart.stack import Stack
from bench.measure import wait_until
from broker.admin import create_topics
from schemas.topics import TopicSpec


def consume(consumer: KafkaConsumer, tp: TopicPartition, until: int) -> None:
    """Read `tp` up to offset `until`, then commit there."""
    wait_until(
        lambda: (
            bool(consumer.poll(timeout_ms=500, max_records=until - consumer.position(tp)))
            and consumer.position(tp) >= until
        ),
        60,
        f"{tp} read to {until}",
    )
    consumer.commit()


def lag_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["lag", "--json", *argv])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def group_on_a_topic(kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh topic with 10 records on partition 0 and 4 on partition 1, and a consumer of a
    fresh group assigned partition 0."""
    topic, group = f"lag-{uuid4().hex[:8]}", f"lag-group-{uuid4().hex[:8]}"
    create_topics(kafka_bootstrap, [TopicSpec(topic, 2)])
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    for n in range(14):
        producer.send(topic, b"x", partition=0 if n < 10 else 1)
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    monkeypatch.setenv("AFTERCART_KAFKA_BOOTSTRAP", kafka_bootstrap)
    yield group, topic, consumer, tp
    consumer.close()


def test_a_group_that_consumed_some_records_shows_its_commit_and_lag(
    group_on_a_topic: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    group, topic, consumer, tp = group_on_a_topic
    consume(consumer, tp, 6)

    code, data = lag_json(capsys, "--group", group)
    assert code == 0
    found = data["groups"][group]
    first, second = found["partitions"]
    assert (first["topic"], first["partition"]) == (topic, 0)
    assert (first["committed"], first["end"], first["lag"]) == (6, 10, 4)
    # Never committed on partition 1: all it keeps is lag.
    assert (second["committed"], second["end"], second["lag"]) == (None, 4, 4)
    assert second["last_commit_age_s"] is None
    assert found["lag"] == 8
    # The group's first commit: no earlier offset to move from, so an "at least".
    assert first["last_commit_age_s"] >= 0
    assert first["last_commit_age_exact"] is False

    consume(consumer, tp, 8)
    code, data = lag_json(capsys, "--group", group)
    first = data["groups"][group]["partitions"][0]
    assert (first["committed"], first["lag"]) == (8, 2)
    assert first["last_commit_age_s"] >= 0
    assert first["last_commit_age_exact"] is True  # moved from 6: the move itself is kept

    assert main(["lag", "--group", group]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = next(line for line in lines if f" {topic} " in line and line.split()[2] == "0")
    assert row.split()[:6] == [group, topic, "0", "8", "10", "2"]
    total = next(line for line in lines if "total (" in line)
    assert total.startswith(group) and total.split()[-1] == "6"


def test_max_exits_1_when_a_group_is_over_and_0_when_not(
    group_on_a_topic: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    group, _, consumer, tp = group_on_a_topic
    consume(consumer, tp, 6)  # lag 4 + 4
    assert main(["lag", "--group", group, "--max", "8"]) == 0
    assert main(["lag", "--group", group, "--max", "7"]) == 1
    assert main(["lag", "--group", group, "--max", "0", "--json"]) == 1
    capsys.readouterr()


def test_status_sees_a_stacks_processes_alive_then_one_dead(
    kafka_bootstrap: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = stack_settings(kafka_bootstrap, tmp_path)
    monkeypatch.setenv("AFTERCART_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AFTERCART_KAFKA_BOOTSTRAP", kafka_bootstrap)
    monkeypatch.setenv("AFTERCART_TOPIC_PREFIX", settings.topic_prefix)
    with Stack(settings, tmp_path / "up", own_broker=False) as stack:
        stack.start(("email",))
        code, data = status_json(capsys)
        assert code == 0, data
        by_name = {p["name"]: p for p in data["processes"]}
        assert list(by_name) == ["sandbox", "gateway", "worker-email"]
        assert all(p["state"] == "alive" for p in by_name.values())
        assert by_name["sandbox"]["answers"] is True
        assert by_name["gateway"]["url"] == stack.gateway_url
        assert by_name["worker-email"]["answers"] is True  # its /healthz
        assert by_name["worker-email"]["url"] == stack.worker_url("email")

        # By default, lag looks at every aftercart group: only the email worker runs here, and
        # its rows are its topics, not its ledger's changelog.
        code, lag = lag_json(capsys)
        assert code == 0
        email = lag["groups"][stack.topics.channel_app_id("email")]
        assert (email["state"], email["members"]) == ("Stable", 1)
        topics = {p["topic"] for p in email["partitions"]}
        assert topics == {stack.topics.notify("email"), stack.topics.retry("email")}
        assert lag["groups"][stack.topics.streams_app_id]["state"] == "Dead"

        worker = next(c for c in stack.supervisor.children if c.name == "worker-email")
        worker.process.kill()  # not reaped by the stack: a zombie until it is
        wait_until(lambda: main(["status", "--no-probe"]) == 1, 60, "the worker seen dead")
        capsys.readouterr()
        code, data = status_json(capsys)
        assert code == 1
        states = {p["name"]: p["state"] for p in data["processes"]}
        assert states == {"sandbox": "alive", "gateway": "alive", "worker-email": "dead"}

    capsys.readouterr()
    assert main(["status"]) == 1
    path = tmp_path / "up" / "processes.json"
    assert capsys.readouterr().out.strip() == f"aftercart up is not running (no {path})"
