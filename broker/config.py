"""The broker's server.properties (loopback only; one node, or one node of a local cluster), the
replication its topics get, and its cluster id."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from pathlib import Path

LOOPBACK = "127.0.0.1"
LOG4J_CONFIG = Path(__file__).with_name("log4j2.yaml")


def log_dir(data_dir: Path) -> Path:
    """Where the broker keeps its partitions and metadata log."""
    return data_dir / "kraft-logs"


def replication(brokers: int) -> tuple[int, int]:
    """Replication factor and min.insync.replicas of a topic on a cluster of `brokers`: 3 and
    2 from three brokers on, so losing one broker neither loses an acknowledged record nor
    stops writes; on fewer, every broker and one less (at least 1)."""
    factor = max(min(brokers, 3), 1)
    return factor, max(factor - 1, 1)


def server_config(
    data_dir: Path,
    port: int,
    controller_port: int,
    *,
    node_id: int = 1,
    voters: Mapping[int, int] | None = None,
) -> dict[str, str]:
    """Broker and controller in one process, listening on 127.0.0.1 only. `voters` maps each
    node id of a local cluster to its controller port (default: this node alone)."""
    voters = voters or {node_id: controller_port}
    quorum = ",".join(f"{node}@{LOOPBACK}:{cport}" for node, cport in sorted(voters.items()))
    factor, min_isr = (str(n) for n in replication(len(voters)))
    return {
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        "controller.quorum.voters": quorum,
        "listeners": f"PLAINTEXT://{LOOPBACK}:{port},CONTROLLER://{LOOPBACK}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(log_dir(data_dir)),
        # Internal topics (and any created without a factor) replicated as aftercart's own.
        "default.replication.factor": factor,
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": factor,
        "transaction.state.log.replication.factor": factor,
        "transaction.state.log.min.isr": min_isr,
        "share.coordinator.state.topic.replication.factor": factor,
        "share.coordinator.state.topic.min.isr": min_isr,
        # Fewer internal partitions: the first consumer group or transaction starts faster.
        "offsets.topic.num.partitions": "8",
        "transaction.state.log.num.partitions": "4",
        # Consumers join at once instead of waiting 3 s for more members that never come.
        "group.initial.rebalance.delay.ms": "0",
        # Topics come only from schemas.topics, so a typo fails instead of creating a topic.
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
        # A dev broker: small segments and frequent checks keep the data dir small.
        "log.segment.bytes": str(64 * 1024 * 1024),
        "log.retention.check.interval.ms": "60000",
        "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
        # Sized for a 2-core laptop shared with the pipeline: fewer threads, less switching.
        "num.network.threads": "2",
        "num.io.threads": "2",
        "background.threads": "2",
        "log.cleaner.threads": "1",
    }


def render_properties(config: dict[str, str]) -> str:
    """Java properties text, one key=value a line."""
    # Java reads a backslash as an escape, so one inside a path must be doubled.
    escaped = {key: value.replace("\\", "\\\\") for key, value in config.items()}
    return "".join(f"{key}={value}\n" for key, value in escaped.items())


def server_properties(
    data_dir: Path,
    port: int,
    controller_port: int,
    *,
    node_id: int = 1,
    voters: Mapping[int, int] | None = None,
) -> str:
    """The server.properties text for one local broker."""
    return render_properties(
        server_config(data_dir, port, controller_port, node_id=node_id, voters=voters)
    )


def new_cluster_id() -> str:
    """A cluster id as `kafka-storage random-uuid` makes it, without starting a JVM."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):  # Kafka rejects ids that look like command-line flags
            return text
