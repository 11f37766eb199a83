"""A local cluster of three KRaft nodes: aftercart's topics on three replicas with two in sync,
and a partition leader killed mid-write loses no acknowledged record."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import uuid4

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata
from stacks import order_placed, stack_settings, wait_committed

from aftercart.scale import ROLES
from aftercart.stack import Stack
from bench.measure import wait_until
from broker import create_topics, describe_topic_configs
from broker.admin import partition_leader
from broker.cluster import LocalCluster, plan
from broker.reading import read_topic
from ingest.publisher import EventPublisher
from runtime.settings import Settings
from sandbox.client import SandboxClient
from schemas.codec import new_event
from schemas.events import CloudEvent
from schemas.notification import notification_id
from schemas.topics import Topics, TopicSpec

KEYS = [f"customer-{i}".encode() for i in range(12)]
RECORDS = 6000
KILL_AFTER = 1000  # acknowledged records before the leader is killed
HOLD_AT = 3000  # the writer goes no further until the kill has happened


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """Three nodes on their own free ports, ready (three brokers, a quorum leader); every JVM
    stopped, or killed, when the module ends, whatever happened."""
    nodes = LocalCluster(
        tmp_path_factory.mktemp("cluster"), plan(3), cache_dir=Settings().cache_dir
    )
    try:
        nodes.start()
        nodes.wait_ready(timeout=180)
        yield nodes
    finally:
        nodes.stop(timeout=30)


def replicas(
    bootstrap: str, topics: list[str]
) -> dict[tuple[str, int], tuple[tuple[int, ...], tuple[int, ...]]]:
    """(replicas, in-sync replicas) of every partition of the topics, by (topic, partition)."""
    with KafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        found = admin.describe_topics(topics)
    return {
        (t["name"], p["partition_index"]): (
            tuple(sorted(p["replica_nodes"])),
            tuple(sorted(p["isr_nodes"])),
        )
        for t in found
        for p in t["partitions"]
    }


def test_topics_and_kafkas_own_get_three_replicas_two_in_sync(cluster: LocalCluster) -> None:
    # given aftercart's topics created on the cluster
    names = Topics(prefix=f"t{uuid4().hex[:8]}", partitions=2)
    created = create_topics(cluster.bootstrap, names.all())
    # and a consumer group that committed an offset, and a transaction committed
    group = f"{names.prefix}-group"
    consumer = KafkaConsumer(bootstrap_servers=cluster.bootstrap, group_id=group)
    consumer.assign([TopicPartition(names.events, 0)])
    consumer.commit({TopicPartition(names.events, 0): OffsetAndMetadata(0)})
    consumer.close()
    producer = KafkaProducer(bootstrap_servers=cluster.bootstrap, transactional_id=group)
    producer.init_transactions()
    producer.begin_transaction()
    producer.send(names.events, key=b"customer-1", value=b"{}")
    producer.commit_transaction()
    producer.close()

    # then every partition of every topic is on all three brokers, all in sync
    internal = ["__consumer_offsets", "__transaction_state"]
    found = replicas(cluster.bootstrap, [*created, *internal])
    assert len(found) == len(created) * 2 + 8 + 4  # offsets and transaction log partitions
    assert set(found.values()) == {((1, 2, 3), (1, 2, 3))}
    # and a write needs two of them: one broker down still takes writes, none is lost
    for topic in created:
        assert describe_topic_configs(cluster.bootstrap, topic)["min.insync.replicas"] == "2"
    for topic in internal:
        assert describe_topic_configs(cluster.bootstrap, topic)["min.insync.replicas"] == "2"


@dataclass
class Run:
    """What the writer and the reader of the failover test saw."""

    acked: list[tuple[float, int, bytes, int]] = field(default_factory=list)  # time, p, key, n
    failed: list[BaseException] = field(default_factory=list)
    read: list[tuple[bytes, int]] = field(default_factory=list)
    killed: threading.Event = field(default_factory=threading.Event)
    written: threading.Event = field(default_factory=threading.Event)


def write(bootstrap: str, topic: str, run: Run) -> None:
    """RECORDS keyed records, numbered per key, acks=all and idempotent like aftercart's."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                             linger_ms=5, client_id="cluster-test-writer")  # fmt: skip
    counts: dict[bytes, int] = defaultdict(int)
    try:
        for i in range(RECORDS):
            if i == HOLD_AT and not run.killed.wait(120):
                raise TimeoutError("the leader was never killed")
            key = KEYS[i % len(KEYS)]
            n, counts[key] = counts[key], counts[key] + 1
            future = producer.send(topic, key=key, value=str(n).encode())
            future.add_callback(
                lambda md, k=key, n=n: run.acked.append((time.monotonic(), md.partition, k, n))
            )
            future.add_errback(run.failed.append)
            if i % 100 == 99:
                producer.flush(timeout=120)  # paces the writer at the cluster's speed
        producer.flush(timeout=120)
    finally:
        producer.close(timeout=30)
        run.written.set()


def read(bootstrap: str, topic: str, run: Run, stop: threading.Event) -> None:
    """Read the topic from its start as it is written, through the kill, until told to stop."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="cluster-test-reader")
    try:
        partitions = [TopicPartition(topic, p) for p in range(3)]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        while not stop.is_set():
            for records in consumer.poll(timeout_ms=200).values():
                run.read.extend((r.key, int(r.value)) for r in records)
    finally:
        consumer.close()


def all_in_sync(cluster: LocalCluster, topic: str) -> bool:
    """Every partition of the topic has every broker of the cluster in sync."""
    return all(isr == (1, 2, 3) for _, isr in replicas(cluster.bootstrap, [topic]).values())


def per_key(records: list[tuple[bytes, int]]) -> dict[bytes, list[int]]:
    found: dict[bytes, list[int]] = defaultdict(list)
    for key, n in records:
        found[key].append(n)
    return dict(found)


def test_killing_a_partition_leader_loses_no_acknowledged_record(cluster: LocalCluster) -> None:
    # given a topic of three partitions, written by a producer with acks=all and read as written
    topic = f"t{uuid4().hex[:8]}.failover"
    create_topics(cluster.bootstrap, [TopicSpec(topic, 3)])
    run, stop_reading = Run(), threading.Event()
    writer = threading.Thread(target=write, args=(cluster.bootstrap, topic, run))
    reader = threading.Thread(target=read, args=(cluster.bootstrap, topic, run, stop_reading))
    reader.start()
    writer.start()
    victim = None
    try:
        wait_until(lambda: len(run.acked) >= KILL_AFTER, 120, f"{KILL_AFTER} acknowledgements")
        leaders = {p: partition_leader(cluster.bootstrap, topic, p) for p in range(3)}
        victim = leaders[0]

        # when the broker leading partition 0 is killed (-9) mid-write
        cluster.kill(victim)
        killed_at = time.monotonic()
        run.killed.set()
        wait_until(run.written.is_set, 240, "the writer to finish")

        # then writes went on: each partition it led has a new leader and took writes again
        orphaned = {p for p, leader in leaders.items() if leader == victim}
        after = [at for at, p, _, _ in run.acked if p in orphaned and at > killed_at]
        recovery = min(after) - killed_at
        print(
            f"\nfirst acknowledged write to a partition of killed broker {victim}: {recovery:.1f} s"
        )
        assert all(
            partition_leader(cluster.bootstrap, topic, p) not in (victim, -1) for p in orphaned
        )
        assert run.failed == []
        assert len(run.acked) == RECORDS

        # and once the killed broker is back and in sync again
        cluster.restart(victim)
        cluster.wait_ready(timeout=180)
        wait_until(lambda: all_in_sync(cluster, topic), 120, f"broker {victim} back in sync")
        wait_until(lambda: len(run.read) >= RECORDS, 120, "the reader to read every record")
    finally:
        run.killed.set()
        stop_reading.set()
        writer.join(120)
        reader.join(30)
        if victim is not None and cluster.nodes[victim].pid is None:
            cluster.restart(victim)  # the next test finds three brokers

    # every acknowledged record is there exactly once, in order per key, for the reader that
    # read through the kill and for one reading the topic afterwards
    expected = per_key([(key, n) for _, _, key, n in run.acked])
    expected = {key: sorted(ns) for key, ns in expected.items()}
    assert per_key(run.read) == expected
    afterwards = [(r.key, int(r.value)) for r in read_topic(cluster.bootstrap, topic)]
    assert per_key(afterwards) == expected
    assert all(ns == list(range(len(ns))) for ns in expected.values())


def shopper(cid: str) -> list[CloudEvent]:
    """A customer who wants email only, and the order they place."""
    profile = {"customer_id": cid, "first_name": cid.title(), "email": f"{cid}@example.com"}
    email_only = {"email": True, "sms": False, "push": False}
    return [
        new_event("customer.upserted", profile, source="test"),
        new_event(
            "preferences.updated", {"customer_id": cid, "transactional": email_only}, source="test"
        ),
        order_placed(cid, f"o-{cid}", f"#{cid}"),
    ]


def test_a_broker_killed_mid_run_costs_no_notification_and_doubles_none(
    cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # given the whole pipeline on the cluster, faust's leader topics on three replicas too
    data_dir = tmp_path_factory.mktemp("pipeline")
    stack = Stack(stack_settings(cluster.bootstrap, data_dir), data_dir, own_broker=False)
    leaders = [TopicSpec(f"{group}-__assignor-__leader", 1) for group in stack.group_ids(ROLES)]
    create_topics(cluster.bootstrap, leaders)
    first = [e for i in range(15) for e in shopper(f"early{i}")]
    second = [e for i in range(15) for e in shopper(f"late{i}")]
    wanted = {notification_id(e.id, "email", "order.placed") for e in first + second
              if e.type == "order.placed"}  # fmt: skip
    sandbox = SandboxClient(stack.settings.sandbox_url)
    victim = None
    try:
        with stack:
            stack.start(gateway=False)
            with EventPublisher(cluster.bootstrap, stack.topics) as publisher:
                for event in first:
                    publisher.publish(event)
            wait_until(lambda: sandbox.messages(status="accepted"), 120, "a first notification")

            # when the broker leading the email topic's first partition is killed mid-run
            victim = partition_leader(cluster.bootstrap, stack.topics.notify("email"), 0)
            cluster.kill(victim)
            # and more orders come in: acks=all, the publisher waits for a new leader
            with EventPublisher(cluster.bootstrap, stack.topics) as publisher:
                for event in second:
                    publisher.publish(event)

            # then every notification arrives at the provider, and each exactly once
            def all_there() -> bool:
                sent = sandbox.messages(status="accepted", fields=["notification_id"])
                return wanted <= {m["notification_id"] for m in sent}

            # (a worker whose Kafka client stalls on the dead broker exits and is started
            # again, as `aftercart up` does: runtime/stall.py)
            wait_until(all_there, 240, "every notification", stack.tend)
            t = stack.topics
            pairs = [(t.streams_app_id, t.events), (t.channel_app_id("email"), t.notify("email"))]
            wait_committed(stack, pairs, 120, "the pipeline to settle")
            sent = sandbox.messages(channel="email", fields=["notification_id"])
    finally:
        if victim is not None:
            cluster.restart(victim)
            cluster.wait_ready(timeout=180)
    assert Counter(m["notification_id"] for m in sent) == dict.fromkeys(wanted, 1)
