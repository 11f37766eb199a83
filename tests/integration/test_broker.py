"""The local broker and topic administration, against a real Kafka."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from broker import (
    create_topics,
    describe_topic_configs,
    free_ports,
    start_detached,
    status,
    stop_detached,
)
from runtime.settings import Settings
from schemas.topics import DAY_MS, Topics


def test_creating_topics_twice_creates_them_once(kafka_bootstrap: str) -> None:
    # given a prefix nobody has used
    names = Topics(prefix=f"t{uuid4().hex[:8]}", partitions=2)
    expected = sorted(spec.name for spec in names.all())

    # when the topics are created twice
    first = create_topics(kafka_bootstrap, names.all())
    second = create_topics(kafka_bootstrap, names.all())

    # then the first call created all of them and the second none
    assert first == expected
    assert second == []


def test_changelogs_are_compacted_and_events_deleted_after_retention(
    kafka_bootstrap: str, topics: Topics
) -> None:
    for table in ("customers", "preferences"):
        configs = describe_topic_configs(kafka_bootstrap, topics.changelog(table))
        assert configs["cleanup.policy"] == "compact"

    events = describe_topic_configs(kafka_bootstrap, topics.events)
    assert events["cleanup.policy"] == "delete"
    assert events["retention.ms"] == str(7 * DAY_MS)

    deadletter = describe_topic_configs(kafka_bootstrap, topics.deadletter)
    assert deadletter["retention.ms"] == str(30 * DAY_MS)


def test_on_one_broker_topics_have_one_replica_that_alone_takes_writes(
    kafka_bootstrap: str, topics: Topics
) -> None:
    with KafkaAdminClient(bootstrap_servers=kafka_bootstrap) as admin:
        (events,) = admin.describe_topics([topics.events])

    assert [p["replica_nodes"] for p in events["partitions"]] == [[1], [1]]
    assert describe_topic_configs(kafka_bootstrap, topics.events)["min.insync.replicas"] == "1"


def test_a_produced_message_is_consumed_back(kafka_bootstrap: str, topics: Topics) -> None:
    # given a message produced to the events topic
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    producer.send(topics.events, key=b"customer-1", value=b'{"type": "order.placed"}').get(30)
    producer.close()

    # when a consumer group reads the topic from the start
    consumer = KafkaConsumer(
        topics.events,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"{topics.prefix}-test",
        auto_offset_reset="earliest",
        consumer_timeout_ms=30_000,
    )
    try:
        record = next(iter(consumer))
    finally:
        consumer.close()

    # then it gets the same key and value back
    assert (record.key, record.value) == (b"customer-1", b'{"type": "order.placed"}')


def test_detached_broker_reports_status_and_stops(tmp_path: Path) -> None:
    # given a broker started for the CLI, which would outlive the calling process
    port, controller_port = free_ports(2)
    cache_dir = Settings().cache_dir
    started = start_detached(tmp_path, port, controller_port, cache_dir=cache_dir)
    try:
        # then status finds it by its pid file
        now = status(tmp_path, port)
        assert now.running and now.pid == started.pid
        assert now.bootstrap == f"127.0.0.1:{port}"
        # and starting again leaves the running one alone
        assert (
            start_detached(tmp_path, port, controller_port, cache_dir=Settings().cache_dir) == now
        )
    finally:
        # when it is stopped
        stopped = stop_detached(tmp_path)

    # then it is gone and so is its pid file
    assert stopped.pid == started.pid
    assert not status(tmp_path, port).running
    assert not (tmp_path / "kafka.pid").exists()
    assert stop_detached(tmp_path).pid is None
