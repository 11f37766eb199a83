"""`aftercart kafka start|stop|status`: the local broker, or a local cluster, in the background."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from aftercart.commands.base import Command
from runtime.settings import Settings

if TYPE_CHECKING:
    from broker.cluster import ClusterStatus
    from broker.detached import BrokerStatus

CLUSTER_HELP = (
    "with N above 1: a local cluster of N KRaft nodes on free loopback ports (kept for later "
    "starts), each broker and controller in one JVM, all N voters of the controller quorum, "
    "files under DATA_DIR/kafka-cluster/node-ID; aftercart's topics then get 3 replicas, 2 of "
    "them in sync (min.insync.replicas), with 3 nodes or more; status and stop cover it too"
)


def arguments(parser: argparse.ArgumentParser) -> None:
    """The action, and how many brokers to start."""
    parser.description = (
        "The local Kafka in the background: one broker on AFTERCART_KAFKA_BOOTSTRAP's port, "
        "or with --brokers 3 a cluster of three; status and stop act on both."
    )
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument("--brokers", type=_brokers, default=1, metavar="N", help=CLUSTER_HELP)


def _brokers(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 9:
        raise argparse.ArgumentTypeError(f"must be 1 to 9, not {text}")
    return value


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Start, stop or report on the detached local broker or cluster."""
    from broker import cluster, launcher

    data_dir = settings.data_dir / "kafka"
    cluster_dir = settings.data_dir / "kafka-cluster"
    if args.action == "start" and args.brokers > 1:
        started = cluster.start_detached_cluster(
            cluster_dir, args.brokers, cache_dir=settings.cache_dir, heap=settings.kafka_heap
        )
        print(started)
        print(f"for aftercart's commands: AFTERCART_KAFKA_BOOTSTRAP={started.bootstrap}")
    elif args.action == "start":
        print(
            launcher.start_detached(
                data_dir,
                settings.kafka_port,
                settings.kafka_controller_port,
                cache_dir=settings.cache_dir,
                heap=settings.kafka_heap,
            )
        )
    elif args.action == "stop":
        _report(launcher.stop_detached(data_dir), cluster.stop_cluster(cluster_dir))
    else:
        _report(launcher.status(data_dir, settings.kafka_port), cluster.cluster_status(cluster_dir))
    return 0


def _report(single: BrokerStatus, nodes: ClusterStatus | None) -> None:
    """The single broker's line, unless a cluster is set up and that broker is not there."""
    if nodes is None or single.pid is not None:
        print(single if nodes is None else f"single broker: {single}")
    if nodes is not None:
        print(nodes)


COMMAND = Command("kafka", "the local Kafka broker, or a local cluster, alone", run, arguments)
