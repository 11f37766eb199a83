"""The broker's server.properties (one node, loopback only) and its cluster id."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

LOOPBACK = "127.0.0.1"
LOG4J_CONFIG = Path(__file__).with_name("log4j2.yaml")


def log_dir(data_dir: Path) -> Path:
    """Where the broker keeps its partitions and metadata log."""
    return data_dir / "kraft-logs"


def server_config(data_dir: Path, port: int, controller_port: int) -> dict[str, str]:
    """Broker and controller in one process, listening on 127.0.0.1 only."""
    return {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{LOOPBACK}:{controller_port}",
        "listeners": f"PLAINTEXT://{LOOPBACK}:{port},CONTROLLER://{LOOPBACK}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(log_dir(data_dir)),
        # One node: every internal topic must fit on it.
        "default.replication.factor": "1",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
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


def server_properties(data_dir: Path, port: int, controller_port: int) -> str:
    """The server.properties text for one local broker."""
    return render_properties(server_config(data_dir, port, controller_port))


def new_cluster_id() -> str:
    """A cluster id as `kafka-storage random-uuid` makes it, without starting a JVM."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):  # Kafka rejects ids that look like command-line flags
            return text
