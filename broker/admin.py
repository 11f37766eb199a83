"""Kafka administration over kafka-python: readiness, topics, consumer groups and lag."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, OffsetSpec
from kafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from broker.config import replication
from broker.errors import BrokerError
from schemas.topics import TopicSpec

T = TypeVar("T")


class _AdminClient(KafkaAdminClient):
    """KafkaAdminClient that does not leak its IO thread when it cannot bootstrap."""

    def __init__(self, **configs: Any) -> None:
        try:
            super().__init__(**configs)
        except BaseException:
            # kafka-python 3.0.12 starts an IO thread before bootstrapping and never stops it
            # if bootstrap fails; its close() only acts once _closed exists.
            if hasattr(self, "_net"):
                self._closed = False
                self.close()
            raise


def _client(bootstrap: str, timeout: float) -> KafkaAdminClient:
    ms = max(int(timeout * 1000), 1)
    return _AdminClient(
        bootstrap_servers=bootstrap,
        client_id="aftercart-admin",
        bootstrap_timeout_ms=ms,
        request_timeout_ms=ms,
    )


def _retrying(call: Callable[[], T], timeout: float) -> T:
    """`call()`, again while Kafka answers with a retriable error (a group coordinator still
    loading its offsets after a broker restart, a leader moving) for up to `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except KafkaError as exc:
            if not exc.retriable or time.monotonic() >= deadline:
                raise
            time.sleep(0.25)


def port_open(bootstrap: str, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at host:port, or at any address of a
    comma-separated list of them (a cluster's bootstrap servers)."""
    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return True
        except OSError:
            continue
    return False


def is_ready(bootstrap: str, timeout: float = 10.0) -> bool:
    """True when the broker answers a metadata request within timeout."""
    # A TCP check first: cheap, and spares a log line from kafka-python per failed poll.
    if not port_open(bootstrap):
        return False
    try:
        with _client(bootstrap, timeout) as admin:
            admin.list_topics()
    except KafkaError:
        return False
    return True


def wait_for_broker(bootstrap: str, timeout: float = 60.0) -> None:
    """Block until the broker answers metadata requests, or raise BrokerError."""
    deadline = time.monotonic() + timeout
    while not is_ready(bootstrap, timeout=max(deadline - time.monotonic(), 0.1)):
        if time.monotonic() >= deadline:
            raise BrokerError(f"no Kafka broker answered at {bootstrap} within {timeout:.0f}s")
        time.sleep(0.2)


def live_brokers(admin: KafkaAdminClient) -> list[int]:
    """Ids of the brokers the cluster counts as alive (registered and not fenced)."""
    brokers = admin.describe_cluster()["brokers"]
    return sorted(b["broker_id"] for b in brokers if not b.get("is_fenced", False))


def cluster_ready(bootstrap: str, brokers: int, timeout: float = 10.0) -> bool:
    """True when `brokers` brokers are alive and the KRaft controller quorum has a leader."""
    if not all(port_open(address) for address in bootstrap.split(",")):
        return False
    try:
        with _client(bootstrap, timeout) as admin:
            if len(live_brokers(admin)) < brokers:
                return False
            quorum = admin.describe_metadata_quorum()
    except KafkaError:
        return False
    return any(p["leader_id"] >= 0 for t in quorum["topics"] for p in t["partitions"])


def create_topics(bootstrap: str, specs: list[TopicSpec], timeout: float = 30.0) -> list[str]:
    """Create the missing topics with their declared configs, replicated for the brokers alive
    now (config.replication: 3 replicas, 2 in sync, from three brokers on; 1 and 1 on one);
    return the names created."""
    with _client(bootstrap, timeout) as admin:
        existing = set(admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if not missing:
            return []
        factor, min_isr = replication(len(live_brokers(admin)))
        request = {
            spec.name: {"num_partitions": spec.partitions, "replication_factor": factor,
                        "configs": spec.configs() | {"min.insync.replicas": str(min_isr)}}
            for spec in missing
        }  # fmt: skip
        result = admin.create_topics(request, timeout_ms=int(timeout * 1000), raise_errors=False)
        created = []
        for topic in result["topics"]:
            error = for_code(topic["error_code"])
            if topic["error_code"] == 0:
                created.append(topic["name"])
            elif error is not TopicAlreadyExistsError:  # lost a race with another creator: fine
                raise error(f"could not create topic {topic['name']}: {topic['error_message']}")
        # Producers started right after this call must find a leader for every partition.
        admin.wait_for_topics(created, timeout_ms=int(timeout * 1000))
    return sorted(created)


def partition_leader(bootstrap: str, topic: str, partition: int, timeout: float = 10.0) -> int:
    """Id of the broker that leads one partition now (-1: none)."""
    with _client(bootstrap, timeout) as admin:
        (found,) = admin.describe_topics([topic])
    return next(p["leader_id"] for p in found["partitions"] if p["partition_index"] == partition)


def describe_topic_configs(bootstrap: str, topic: str, timeout: float = 30.0) -> dict[str, str]:
    """Every config of one topic as the broker reports it, defaults included."""
    with _client(bootstrap, timeout) as admin:
        found = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all"
        )
    return {name: entry["value"] for name, entry in found["topic"][topic].items()}


def groups_ready(bootstrap: str, groups: list[str], timeout: float = 10.0) -> bool:
    """True when every consumer group is Stable with partitions assigned to its members."""
    # faust's assignor metadata is not the standard one; kafka-python warns for each member.
    logging.getLogger("kafka.admin._groups").setLevel(logging.ERROR)
    try:
        with _client(bootstrap, timeout) as admin:
            described = admin.describe_groups(groups)
    except KafkaError:  # e.g. the coordinator is still being elected right after start
        return False
    return all(
        d["group_state"] == "Stable"
        and any(m["member_assignment"]["assigned_partitions"] for m in d["members"])
        for d in described.values()
    )


def end_offsets(bootstrap: str, topic: str, timeout: float = 10.0) -> dict[TopicPartition, int]:
    """The next offset of every partition of a topic."""
    with _client(bootstrap, timeout) as admin:
        partitions = admin.describe_topics([topic])[0]["partitions"]
        specs = {TopicPartition(topic, p["partition_index"]): OffsetSpec.LATEST for p in partitions}
        found = admin.list_partition_offsets(specs)
    return {tp: result.offset for tp, result in found.items()}


def lag(bootstrap: str, group: str, topic: str, timeout: float = 10.0) -> int:
    """Messages of `topic` that the consumer group has not committed yet."""
    ends = end_offsets(bootstrap, topic, timeout)
    with _client(bootstrap, timeout) as admin:
        offsets = _retrying(lambda: admin.list_group_offsets({group: None}), timeout)
        committed = offsets.get(group, {})
    return sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())


def forget_group(bootstrap: str, group: str, timeout: float = 30.0) -> None:
    """Delete a consumer group (its workers must be stopped): they start again from the oldest
    message still on their topics, a replay."""
    with _client(bootstrap, timeout) as admin:
        admin.delete_groups([group])


@dataclass(frozen=True)
class GroupPartition:
    """Where a consumer group stands on one partition."""

    topic: str
    partition: int
    committed: int | None  # None: the group has never committed an offset here
    start: int  # oldest offset the partition still keeps
    end: int  # offset the next record will get

    @property
    def lag(self) -> int:
        """Records kept on the partition that the group has not committed; with no commit (or
        one older than what is kept), everything kept, as a consumer that starts at the oldest
        record (auto.offset.reset=earliest, as aftercart's do) would read it."""
        position = self.start if self.committed is None else max(self.committed, self.start)
        return max(self.end - position, 0)


@dataclass(frozen=True)
class GroupState:
    """A consumer group as the broker describes it, with its partitions."""

    group: str
    state: str  # Stable, Empty, PreparingRebalance, ...; Dead when the broker has no such group
    members: int
    partitions: list[GroupPartition]


def describe_lag(bootstrap: str, groups: list[str], timeout: float = 10.0) -> list[GroupState]:
    """Each group's state and, per partition of every topic it has committed on or has
    assigned to a member, its committed, oldest and end offsets. A group's own internal topics
    (`<group>-…`: faust's table changelogs and leader topic, read on recovery and never
    committed) count only where the group has committed."""
    with _client(bootstrap, timeout) as admin:
        committed = _retrying(lambda: admin.list_group_offsets(dict.fromkeys(groups)), timeout)
        logging.getLogger("kafka.admin._groups").setLevel(logging.ERROR)  # faust's metadata
        described = admin.describe_groups(groups)
        topics_of = {g: _topics_of(g, committed.get(g, {}), described[g]) for g in groups}
        partitions = _partitions(admin, sorted(set().union(*topics_of.values())))
        starts = _offsets(admin, partitions, OffsetSpec.EARLIEST)
        ends = _offsets(admin, partitions, OffsetSpec.LATEST)
    found = []
    for group in groups:
        rows = [
            GroupPartition(
                tp.topic,
                tp.partition,
                committed[group][tp].offset if tp in committed.get(group, {}) else None,
                starts[tp],
                ends[tp],
            )
            for tp in partitions
            if tp.topic in topics_of[group]
        ]
        d = described[group]
        found.append(GroupState(group, d["group_state"], len(d["members"]), rows))
    return found


def _topics_of(group: str, committed: dict[TopicPartition, Any], described: Any) -> set[str]:
    topics = {tp.topic for tp in committed}
    for member in described["members"]:
        assignment = member.get("member_assignment")
        for assigned in assignment.get("assigned_partitions", []) if assignment else []:
            if not assigned["topic"].startswith(f"{group}-"):
                topics.add(assigned["topic"])
    return topics


def _partitions(admin: KafkaAdminClient, topics: list[str]) -> list[TopicPartition]:
    if not topics:
        return []
    return sorted(
        TopicPartition(topic["name"], p["partition_index"])
        for topic in admin.describe_topics(topics)
        if topic["error_code"] == 0  # a topic deleted since the group committed on it
        for p in topic["partitions"]
    )


def _offsets(
    admin: KafkaAdminClient, partitions: list[TopicPartition], spec: Any
) -> dict[TopicPartition, int]:
    if not partitions:
        return {}
    found = admin.list_partition_offsets(dict.fromkeys(partitions, spec))
    return {tp: result.offset for tp, result in found.items()}
