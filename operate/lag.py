"""Consumer group lag, measured from Kafka: per group and partition, the committed offset,
the end offset, the lag between them, and how long ago the committed offset took its present
value (read from the broker's own log of commits, __consumer_offsets). The state and member
count of each group come from the broker's description of it. Shared by `aftercart lag` and
the web console; no printing here."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runtime.settings import Settings


@dataclass(frozen=True)
class Row:
    """One partition of one group."""

    topic: str
    partition: int
    committed: int | None
    end: int
    lag: int
    age_s: float | None  # since the committed offset last moved; None: unknown or no commit
    exact: bool = True  # False: age_s is a lower bound


@dataclass(frozen=True)
class GroupLag:
    """One consumer group: its state as the broker describes it and its partitions."""

    group: str
    state: str
    members: int
    rows: list[Row]

    @property
    def total(self) -> int:
        """The group's lag over every partition."""
        return sum(row.lag for row in self.rows)

    @property
    def summary(self) -> str:
        """State and members, in words."""
        if self.state == "Dead" and not self.rows:
            return "no such group on the broker"
        return f"{self.state}, {self.members} member{'' if self.members == 1 else 's'}"


def default_groups(settings: Settings) -> list[str]:
    """The consumer group of every aftercart process: the stream processor, each channel."""
    from schemas.topics import CHANNELS, Topics

    topics = Topics(settings.topic_prefix, settings.topic_partitions)
    return [topics.streams_app_id, *(topics.channel_app_id(c) for c in CHANNELS)]


def measure(bootstrap: str, groups: Sequence[str], timeout: float) -> list[GroupLag]:
    """Ask Kafka; raise KafkaError (or BrokerError) when it cannot be reached."""
    from kafka import TopicPartition

    from broker.admin import describe_lag, port_open
    from broker.commits import last_moves
    from broker.errors import BrokerError

    if not port_open(bootstrap, timeout=min(timeout, 2.0)):
        raise BrokerError("nothing accepts connections there")
    deadline = time.monotonic() + timeout
    states = describe_lag(bootstrap, list(groups), timeout)
    wanted = {
        s.group: [
            TopicPartition(p.topic, p.partition) for p in s.partitions if p.committed is not None
        ]
        for s in states
    }
    moves = last_moves(bootstrap, wanted, timeout=max(deadline - time.monotonic(), 0.5))
    now_ms = time.time() * 1000
    found = []
    for s in states:
        rows = []
        for p in s.partitions:
            move = moves[s.group].get(TopicPartition(p.topic, p.partition))
            if p.committed is None:
                move = None
            age = max(now_ms - move.at_ms, 0) / 1000 if move is not None else None
            exact = move.exact if move is not None else True
            rows.append(Row(p.topic, p.partition, p.committed, p.end, p.lag, age, exact))
        found.append(GroupLag(s.group, s.state, s.members, rows))
    return found


def duration(seconds: float) -> str:
    """12s, 3m05s, 2h05m, 3d04h."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def age_text(row: Row) -> str:
    """How long ago the committed offset moved, for people."""
    if row.committed is None:
        return "-"
    if row.age_s is None:
        return "unknown"
    return f"{'' if row.exact else '>'}{duration(row.age_s)} ago"


def as_json(groups: Sequence[GroupLag], bootstrap: str) -> dict[str, Any]:
    """groups -> {state, members, lag, partitions: [{topic, partition, committed, end, lag,
    last_commit_age_s, last_commit_age_exact}]}."""
    return {
        "bootstrap": bootstrap,
        "groups": {
            g.group: {
                "state": g.state,
                "members": g.members,
                "lag": g.total,
                "partitions": [
                    {
                        "topic": r.topic,
                        "partition": r.partition,
                        "committed": r.committed,
                        "end": r.end,
                        "lag": r.lag,
                        "last_commit_age_s": None if r.age_s is None else round(r.age_s, 1),
                        "last_commit_age_exact": r.exact,
                    }
                    for r in g.rows
                ],
            }
            for g in groups
        },
    }
