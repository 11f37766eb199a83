"""The local cluster's node configs, replication rule and saved layout, without a JVM."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from aftercart.cli import main
from broker.admin import port_open
from broker.cluster import cluster_status, layout, stop_cluster
from broker.config import replication, server_properties
from broker.errors import BrokerError
from broker.launcher import free_ports


def parse(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")


def test_each_node_of_three_is_a_voter_with_its_own_ports(tmp_path: Path) -> None:
    voters = {1: 19093, 2: 19095, 3: 19097}

    props = parse(server_properties(tmp_path, 19094, 19095, node_id=2, voters=voters))

    assert props["node.id"] == "2"
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == (
        "1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097"
    )
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19094,CONTROLLER://127.0.0.1:19095"


def test_kafkas_own_topics_on_three_nodes_have_three_replicas_two_in_sync(tmp_path: Path) -> None:
    voters = {1: 19093, 2: 19095, 3: 19097}

    props = parse(server_properties(tmp_path, 19092, 19093, node_id=1, voters=voters))

    for key in (
        "default",
        "offsets.topic",
        "transaction.state.log",
        "share.coordinator.state.topic",
    ):
        assert props[f"{key}.replication.factor"] == "3"
    for key in ("", "transaction.state.log.", "share.coordinator.state.topic."):
        assert props[f"{key}min.isr" if key else "min.insync.replicas"] == "2"


@pytest.mark.parametrize(
    ("brokers", "expected"), [(1, (1, 1)), (2, (2, 1)), (3, (3, 2)), (5, (3, 2))]
)
def test_topics_lose_nothing_and_keep_taking_writes_with_one_broker_down(
    brokers: int, expected: tuple[int, int]
) -> None:
    assert replication(brokers) == expected


def test_a_cluster_keeps_its_ports_and_id_from_one_start_to_the_next(tmp_path: Path) -> None:
    first = layout(tmp_path, 3)

    assert layout(tmp_path, 3) == first
    nodes = first[0]
    assert [n.node_id for n in nodes] == [1, 2, 3]
    assert len({p for n in nodes for p in (n.port, n.controller_port)}) == 6


def test_a_cluster_of_another_size_is_refused_while_one_is_set_up(tmp_path: Path) -> None:
    layout(tmp_path, 3)

    with pytest.raises(BrokerError, match="holds a cluster of 3 nodes, not 5"):
        layout(tmp_path, 5)


def test_status_and_stop_report_every_node_of_a_cluster_not_running(tmp_path: Path) -> None:
    assert cluster_status(tmp_path) is None
    nodes, _ = layout(tmp_path, 3)

    found = cluster_status(tmp_path)
    stopped = stop_cluster(tmp_path)

    assert found is not None and stopped is not None
    assert not found.running
    assert found.bootstrap == ",".join(f"127.0.0.1:{n.port}" for n in nodes)
    assert str(found).splitlines()[1:] == [f"  node {i}: not running" for i in (1, 2, 3)]
    assert [s.note for _, s in stopped.nodes] == ["nothing to stop"] * 3


def test_kafka_status_names_the_cluster_and_its_bootstrap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AFTERCART_DATA_DIR", str(tmp_path))
    layout(tmp_path / "kafka-cluster", 3)

    assert main(["kafka", "status"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("cluster of 3 nodes at 127.0.0.1:")
    assert out[1:] == [f"  node {i}: not running" for i in (1, 2, 3)]


def test_a_cluster_bootstrap_list_is_reachable_when_any_node_is() -> None:
    (closed,) = free_ports(1)
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        open_port = listening.getsockname()[1]

        assert port_open(f"127.0.0.1:{closed},127.0.0.1:{open_port}")
        assert not port_open(f"127.0.0.1:{closed}")
