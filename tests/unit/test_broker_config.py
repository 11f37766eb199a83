"""The local broker's generated config, prerequisite checks and jar cache, without a JVM."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from broker.config import new_cluster_id, server_properties
from broker.detached import status
from broker.errors import BrokerError
from broker.jars import (
    MARKER_JARS,
    check_prerequisites,
    install_jars,
    is_complete,
    parse_java_major,
)


def parse(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")


def test_server_properties_bind_loopback_only_on_the_given_ports(tmp_path: Path) -> None:
    props = parse(server_properties(tmp_path, 19092, 19093))

    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert "0.0.0.0" not in str(props) and "localhost" not in str(props)


def test_server_properties_fit_a_single_node(tmp_path: Path) -> None:
    props = parse(server_properties(tmp_path, 19092, 19093))

    assert props["process.roles"] == "broker,controller"
    assert Path(props["log.dirs"]).parent == tmp_path
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["transaction.state.log.min.isr"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["auto.create.topics.enable"] == "false"


def test_cluster_ids_look_like_kafka_storage_random_uuid() -> None:
    ids = {new_cluster_id() for _ in range(200)}

    assert len(ids) == 200
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
    assert all(set(i) <= set(string.ascii_letters + string.digits + "-_") for i in ids)


def test_missing_java_and_maven_are_both_named() -> None:
    with pytest.raises(BrokerError) as caught:
        check_prerequisites(which=lambda name: None)

    assert "Java 17+ is required (java not found on PATH)" in str(caught.value)
    assert "mvn not found on PATH" in str(caught.value)


def test_maven_is_only_required_when_jars_must_be_fetched() -> None:
    def only_java(name: str) -> str | None:
        return "/opt/jdk/bin/java" if name == "java" else None

    with pytest.raises(BrokerError, match="mvn not found on PATH"):
        check_prerequisites(need_mvn=True, which=only_java, java_version=lambda java: 21)
    assert check_prerequisites(need_mvn=False, which=only_java, java_version=lambda java: 21) == (
        "/opt/jdk/bin/java"
    )


def test_an_old_java_is_refused_with_its_version() -> None:
    with pytest.raises(
        BrokerError, match=r"Java 17\+ is required \(found Java 11 at /usr/bin/java"
    ):
        check_prerequisites(which=lambda name: f"/usr/bin/{name}", java_version=lambda java: 11)


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_402"', 8),
        ('openjdk version "21" 2023-09-19', 21),
    ],
)
def test_java_version_is_read_from_java_dash_version(output: str, major: int) -> None:
    assert parse_java_major(output) == major


def test_a_broken_download_never_looks_complete(tmp_path: Path) -> None:
    libs = tmp_path / "kafka" / "libs"

    def dies_halfway(dest: Path) -> None:
        (dest / MARKER_JARS[0]).write_bytes(b"jar")
        raise BrokerError("network went away")

    with pytest.raises(BrokerError):
        install_jars(libs, fetch=dies_halfway)

    assert not libs.exists()
    assert list(libs.parent.iterdir()) == []


def test_a_finished_download_is_renamed_into_place(tmp_path: Path) -> None:
    libs = tmp_path / "kafka" / "libs"

    def fetches_all(dest: Path) -> None:
        for name in MARKER_JARS:
            (dest / name).write_bytes(b"jar")

    assert install_jars(libs, fetch=fetches_all) == libs
    assert is_complete(libs)
    assert [p.name for p in libs.parent.iterdir()] == ["libs"]


def test_status_removes_a_stale_pid_file(tmp_path: Path) -> None:
    # given a pid file whose process is not this broker (pid 1 never is)
    (tmp_path / "kafka.pid").write_text("1\n")

    # when status is asked
    now = status(tmp_path, 9092)

    # then it says not running and cleans up
    assert not now.running
    assert "stale" in str(now)
    assert not (tmp_path / "kafka.pid").exists()
