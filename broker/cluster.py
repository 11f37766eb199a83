"""A local Kafka cluster on loopback: N KRaft nodes, each broker and controller in one JVM (its
own ports and files under the cluster's data dir), all N the voters of the controller quorum, so
a cluster of three keeps a quorum leader and its partitions' leaders when any one node dies.
Started once per test module, or in the background for `aftercart kafka start --brokers 3`."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from broker import admin
from broker.config import LOOPBACK, new_cluster_id
from broker.detached import BrokerStatus, remove_pid_file, status, stop_many, write_pid_file
from broker.errors import BrokerError
from broker.launcher import LocalKafka, Started, free_ports

CLUSTER_FILE = "cluster.json"


@dataclass(frozen=True)
class Node:
    """Where one node listens: clients on `port`, the controller quorum on `controller_port`."""

    node_id: int
    port: int
    controller_port: int


def plan(count: int) -> list[Node]:
    """Nodes 1..count on loopback ports that were free a moment ago."""
    ports = free_ports(2 * count)
    return [Node(i + 1, ports[2 * i], ports[2 * i + 1]) for i in range(count)]


def bootstrap_of(nodes: list[Node]) -> str:
    """Every node's client address, comma-separated, as clients take bootstrap servers."""
    return ",".join(f"{LOOPBACK}:{node.port}" for node in nodes)


def node_dir(data_dir: Path, node_id: int) -> Path:
    """The files of one node: server.properties, its log, its partitions, its pid file."""
    return data_dir / f"node-{node_id}"


class LocalCluster(Started):
    """The nodes of a local cluster as child processes of this one."""

    def __init__(
        self,
        data_dir: Path,
        nodes: list[Node],
        *,
        cache_dir: Path,
        heap: str = "512m",
        die_with_parent: bool = True,
        cluster_id: str | None = None,
    ) -> None:
        voters = {node.node_id: node.controller_port for node in nodes}
        shared_id = cluster_id or new_cluster_id()  # every node formatted with the same id
        self.layout = nodes
        self.nodes = {
            node.node_id: LocalKafka(
                node_dir(data_dir, node.node_id), node.port, node.controller_port,
                cache_dir=cache_dir, heap=heap, die_with_parent=die_with_parent,
                node_id=node.node_id, voters=voters, cluster_id=shared_id,
            )
            for node in nodes
        }  # fmt: skip
        self._started: set[int] = set()

    @property
    def bootstrap(self) -> str:
        """Every node's client address, comma-separated."""
        return bootstrap_of(self.layout)

    def start(self, node_ids: list[int] | None = None) -> dict[int, int]:
        """Spawn the given nodes (default: all) without waiting; return their pids by id."""
        pids = {}
        for node_id in self.nodes if node_ids is None else node_ids:
            pids[node_id] = self.nodes[node_id].start()
            self._started.add(node_id)
        return pids

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until every node is an unfenced broker and the quorum has a leader; raise
        BrokerError at once if a node this object started exits."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            for node_id in sorted(self._started):
                if (error := self.nodes[node_id].exit_error()) is not None:
                    raise BrokerError(f"node {node_id} of the local cluster: {error}")
            if admin.cluster_ready(self.bootstrap, len(self.nodes), timeout=min(remaining, 5.0)):
                return
            time.sleep(0.2)
        raise BrokerError(
            f"the local cluster at {self.bootstrap} did not have {len(self.nodes)} brokers and a "
            f"quorum leader after {timeout:.0f}s; node logs: "
            + ", ".join(str(node.log_path) for node in self.nodes.values())
        )

    def kill(self, node_id: int) -> None:
        """SIGKILL one node, as a crash would end it."""
        self.nodes[node_id].kill()

    def restart(self, node_id: int) -> int:
        """Start a stopped or killed node again on its own files; return its pid."""
        return self.start([node_id])[node_id]

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM every node, then wait for each; SIGKILL those still running at timeout."""
        for node in self.nodes.values():
            node.terminate()
        deadline = time.monotonic() + timeout
        for node in self.nodes.values():
            node.stop(max(deadline - time.monotonic(), 0.1))


@dataclass(frozen=True)
class ClusterStatus:
    """What `aftercart kafka status` reports about the local cluster, node by node."""

    bootstrap: str
    nodes: list[tuple[int, BrokerStatus]]

    @property
    def running(self) -> bool:
        """True when every node runs."""
        return all(found.running for _, found in self.nodes)

    def __str__(self) -> str:
        up = sum(found.running for _, found in self.nodes)
        head = f"cluster of {len(self.nodes)} nodes at {self.bootstrap}: {up} running"
        return "\n".join([head, *(f"  node {i}: {found}" for i, found in self.nodes)])


def _saved(data_dir: Path) -> tuple[list[Node], str] | None:
    path = data_dir / CLUSTER_FILE
    if not path.is_file():
        return None
    saved = json.loads(path.read_text())
    return [Node(**node) for node in saved["nodes"]], saved["cluster_id"]


def layout(data_dir: Path, count: int) -> tuple[list[Node], str]:
    """The saved layout of the cluster in data_dir, or a new one saved there: a cluster keeps
    its ports and id, as its nodes' storage and every client's bootstrap list name them."""
    saved = _saved(data_dir)
    if saved is not None:
        if len(saved[0]) != count:
            raise BrokerError(
                f"{data_dir} holds a cluster of {len(saved[0])} nodes, not {count}: "
                f"stop it and remove {data_dir} to start one of another size"
            )
        return saved
    nodes, cluster_id = plan(count), new_cluster_id()
    data_dir.mkdir(parents=True, exist_ok=True)
    layout = {"cluster_id": cluster_id, "nodes": [asdict(node) for node in nodes]}
    (data_dir / CLUSTER_FILE).write_text(json.dumps(layout, indent=2) + "\n")
    return nodes, cluster_id


def cluster_status(data_dir: Path) -> ClusterStatus | None:
    """Each node of the cluster set up in data_dir; None if none was."""
    saved = _saved(data_dir)
    if saved is None:
        return None
    nodes = [(n.node_id, status(node_dir(data_dir, n.node_id), n.port)) for n in saved[0]]
    return ClusterStatus(bootstrap_of(saved[0]), nodes)


def start_detached_cluster(
    data_dir: Path, count: int, *, cache_dir: Path, heap: str = "512m", timeout: float = 120.0
) -> ClusterStatus:
    """Start the nodes of a cluster that outlives this process (those not running), wait until
    it is ready, record each node's pid."""
    nodes, cluster_id = layout(data_dir, count)
    cluster = LocalCluster(data_dir, nodes, cache_dir=cache_dir, heap=heap,
                           die_with_parent=False, cluster_id=cluster_id)  # fmt: skip
    dirs = {node.node_id: node_dir(data_dir, node.node_id) for node in nodes}
    missing = [node.node_id for node in nodes if not status(dirs[node.node_id], node.port).running]
    try:
        for node_id in missing:
            write_pid_file(dirs[node_id], cluster.start([node_id])[node_id])
        cluster.wait_ready(timeout)
    except BaseException:
        cluster.stop()
        for node_id in missing:
            remove_pid_file(dirs[node_id])
        raise
    return ClusterStatus(
        cluster.bootstrap, [(n.node_id, status(dirs[n.node_id], n.port)) for n in nodes]
    )


def stop_cluster(data_dir: Path, timeout: float = 60.0) -> ClusterStatus | None:
    """Stop every node of the cluster in data_dir, all told at once; None if none was set up."""
    saved = _saved(data_dir)
    if saved is None:
        return None
    ids = [node.node_id for node in saved[0]]
    stopped = stop_many([node_dir(data_dir, node_id) for node_id in ids], timeout)
    return ClusterStatus(bootstrap_of(saved[0]), list(zip(ids, stopped, strict=True)))
