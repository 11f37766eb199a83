"""`aftercart lag` without a broker: the lag arithmetic, reading Kafka's commit records, the
table, the JSON, and the exit codes."""

from __future__ import annotations

import json
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from kafka import TopicPartition

from aftercart.cli import main
from aftercart.commands.lag import table, verdict
from broker import free_port
from broker.admin import GroupPartition
from broker.commits import _Runs, java_hash, offsets_partition, parse_key, parse_value
from operate.lag import GroupLag, Row, age_text, as_json, duration


def _string(text: str) -> bytes:
    return struct.pack(">h", len(text)) + text.encode()


def commit_key(group: str, topic: str, partition: int, key_type: int = 1) -> bytes:
    return (
        struct.pack(">h", key_type) + _string(group) + _string(topic) + struct.pack(">i", partition)
    )


def commit_value(offset: int, at_ms: int, version: int = 3, metadata: str = "") -> bytes:
    head = struct.pack(">hq", version, offset)
    if version >= 3:
        head += struct.pack(">i", 7)  # leader epoch
    if version >= 4:
        head += bytes([len(metadata) + 1]) + metadata.encode()
    else:
        head += _string(metadata)
    tail = struct.pack(">q", -1) if version == 1 else b""  # expireTimestamp
    return head + struct.pack(">q", at_ms) + tail + (b"\x00" if version >= 4 else b"")


@dataclass
class Record:
    key: bytes | None
    value: bytes | None


# -- the lag of one partition --------------------------------------------------------------


def test_lag_is_what_is_kept_beyond_the_commit() -> None:
    assert GroupPartition("t", 0, committed=6, start=0, end=10).lag == 4


def test_without_a_commit_everything_kept_is_lag() -> None:
    assert GroupPartition("t", 0, committed=None, start=3, end=10).lag == 7


def test_a_commit_older_than_what_is_kept_counts_from_the_oldest_kept() -> None:
    assert GroupPartition("t", 0, committed=1, start=5, end=10).lag == 5


# -- where a group's commits are, and what they say -----------------------------------------


def test_java_string_hash() -> None:
    assert java_hash("") == 0
    assert java_hash("hello") == 99162322
    assert java_hash("😀") == 0xD83D * 31 + 0xDE00  # over UTF-16 code units
    assert java_hash("polygenelubricants") == -(2**31)


def test_the_offsets_partition_is_kafkas() -> None:
    assert offsets_partition("g-exp", 8) == 7  # seen on a Kafka 4.1 broker
    assert offsets_partition("polygenelubricants", 50) == 0  # Utils.abs(MIN_VALUE) is 0


def test_an_offset_commit_key_is_read_and_other_records_are_not() -> None:
    assert parse_key(commit_key("g", "orders", 3)) == ("g", "orders", 3)
    assert parse_key(commit_key("g", "orders", 3, key_type=0)) == ("g", "orders", 3)
    assert parse_key(struct.pack(">h", 2) + _string("g")) is None  # group metadata


@pytest.mark.parametrize("version", [0, 1, 2, 3, 4])
def test_every_version_of_the_commit_value_gives_offset_and_time(version: int) -> None:
    value = commit_value(42, 1_700_000_000_123, version=version, metadata="faust")
    assert parse_value(value) == (42, 1_700_000_000_123)


def test_a_value_written_by_kafka_4_1() -> None:
    value = (
        b"\x00\x04" + bytes(7) + b"\x01" + bytes(4) + b"\x01" + b"\x00\x00\x01\xa2A\xd8\x95o\x00"
    )
    assert parse_value(value) == (1, 0x1A241D8956F)


def feed_newest_first(records: list[Record], *wanted: TopicPartition) -> _Runs:
    runs = _Runs("g", wanted)
    for record in reversed(records):
        runs.feed(record)
    return runs


def test_the_move_is_the_first_commit_of_the_present_offset() -> None:
    key = commit_key("g", "t", 0)
    runs = feed_newest_first(
        [
            Record(key, commit_value(5, 1000)),
            Record(key, commit_value(8, 2000)),
            Record(commit_key("other", "t", 0), commit_value(9, 2500)),
            Record(key, commit_value(8, 3000)),  # the same offset committed again
        ],
        TopicPartition("t", 0),
    )
    move = runs.found[TopicPartition("t", 0)]
    assert (move.offset, move.at_ms, move.exact) == (8, 2000, True)
    assert not runs.open


def test_with_no_earlier_offset_kept_the_move_is_a_lower_bound() -> None:
    key = commit_key("g", "t", 0)
    runs = feed_newest_first(
        [Record(key, commit_value(8, 2000)), Record(key, commit_value(8, 3000))],
        TopicPartition("t", 0),
    )
    move = runs.found[TopicPartition("t", 0)]
    assert (move.offset, move.at_ms, move.exact) == (8, 2000, False)


def test_a_deleted_offset_ends_the_run_and_a_partition_not_asked_for_is_ignored() -> None:
    key = commit_key("g", "t", 0)
    runs = feed_newest_first(
        [
            Record(key, commit_value(8, 1000)),
            Record(key, None),
            Record(key, commit_value(2, 3000)),
            Record(commit_key("g", "t", 1), commit_value(4, 3500)),
        ],
        TopicPartition("t", 0),
    )
    assert runs.found == {TopicPartition("t", 0): runs.found[TopicPartition("t", 0)]}
    assert runs.found[TopicPartition("t", 0)].at_ms == 3000
    assert runs.found[TopicPartition("t", 0)].exact


# -- what people and scripts see -----------------------------------------------------------


def sample() -> list[GroupLag]:
    rows = [
        Row("shop.events", 0, 120, 130, 10, 4.2),
        Row("shop.events", 1, None, 3, 3, None),
        Row("shop.orders", 0, 7, 7, 0, 3725, exact=False),
    ]
    return [
        GroupLag("shop-streams", "Stable", 1, rows),
        GroupLag("shop-channel-sms", "Dead", 0, []),
    ]


def test_durations_for_people() -> None:
    assert [duration(s) for s in (0, 59.9, 65, 3725, 90061)] == [
        "0s",
        "59s",
        "1m05s",
        "1h02m",
        "1d01h",
    ]


def test_the_age_says_unknown_none_or_at_least() -> None:
    assert age_text(Row("t", 0, 5, 5, 0, 4.2)) == "4s ago"
    assert age_text(Row("t", 0, 5, 5, 0, 4.2, exact=False)) == ">4s ago"
    assert age_text(Row("t", 0, 5, 5, 0, None)) == "unknown"
    assert age_text(Row("t", 0, None, 5, 5, None)) == "-"


def test_the_table_is_aligned_with_a_total_per_group() -> None:
    lines = table(sample())
    assert lines[0].split() == [
        "GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "OFFSET", "MOVED",
    ]  # fmt: skip
    assert lines[1].split() == ["shop-streams", "shop.events", "0", "120", "130", "10", "4s", "ago"]
    assert lines[2].split()[3:6] == ["-", "3", "3"]
    assert lines[4].startswith("shop-streams") and "total (Stable, 1 member)" in lines[4]
    assert lines[4].split()[-1] == "13"
    assert "no such group on the broker" in lines[5] and lines[5].split()[-1] == "0"
    # numbers to the right: every LAG cell ends where the heading does
    end = lines[0].index("LAG") + len("LAG")
    assert [line[end - 2 : end] for line in lines[1:6]] == ["10", " 3", " 0", "13", " 0"]


def test_the_json_is_groups_then_partitions() -> None:
    data = as_json(sample(), "127.0.0.1:9092")
    streams = data["groups"]["shop-streams"]
    assert streams["lag"] == 13 and streams["state"] == "Stable"
    assert streams["partitions"][0] == {
        "topic": "shop.events",
        "partition": 0,
        "committed": 120,
        "end": 130,
        "lag": 10,
        "last_commit_age_s": 4.2,
        "last_commit_age_exact": True,
    }
    assert streams["partitions"][1]["committed"] is None
    assert streams["partitions"][1]["last_commit_age_s"] is None
    assert data["groups"]["shop-channel-sms"] == {
        "state": "Dead",
        "members": 0,
        "lag": 0,
        "partitions": [],
    }
    json.dumps(data)


def test_max_is_over_a_groups_total_not_at_it() -> None:
    assert verdict(sample(), None) == 0
    assert verdict(sample(), 13) == 0
    assert verdict(sample(), 12) == 1


# -- exit codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv", [["--max", "-1"], ["--max", "many"], ["--interval", "0"], ["--bogus"]]
)
def test_bad_arguments_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["lag", *argv])
    assert exit_.value.code == 2


def test_nothing_listening_exits_3_naming_the_address(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    address = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("AFTERCART_KAFKA_BOOTSTRAP", address)
    assert main(["lag", "--max", "0"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert f"cannot reach Kafka at {address}" in err


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers, as a wrong address might."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def test_something_that_is_not_kafka_exits_3_naming_the_address(
    silent_port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AFTERCART_KAFKA_BOOTSTRAP", f"127.0.0.1:{silent_port}")
    assert main(["lag", "--json", "--timeout", "1"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert f"cannot reach Kafka at 127.0.0.1:{silent_port}" in err
    assert len(err.strip().splitlines()) == 1
