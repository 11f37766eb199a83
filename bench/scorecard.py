"""A chaos scenario's score, from what was published and what the sandbox accepted.

Pure: `make chaos` (bench/chaos.py) collects the facts, this counts them, and
tests/unit/test_chaos_scorecard.py checks the counting on hand-made facts.

- lost: an expected notification the sandbox never accepted;
- duplicates: accepted more than once, by email or SMS (a push accepted twice is counted apart,
  as `push_repeats`: the push service replaces it by its Topic and the browser by its tag, as
  the README says);
- order_violations: a customer's notifications on a channel that arrived in another order than
  their events were published (first arrival of each, adjacent pairs counted);
- recovery_s: from the moment the fault ended until the last notification of an event published
  before that moment arrived (0 when all of them had arrived before it ended);
- worst_delay_s: the longest any notification took from its event's publishing to its first
  arrival, whenever in the run (what the fault cost the customer who waited most).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class Expected:
    """One notification a scenario must see arrive."""

    notification_id: str
    customer: str
    channel: str
    published_ms: float  # when its event was published (acknowledged, for the gateway)


@dataclass(frozen=True, slots=True)
class Arrival:
    """One request the sandbox accepted."""

    notification_id: str
    received_ms: float


def score(
    name: str,
    events: int,
    expected: Iterable[Expected],
    arrivals: Iterable[Arrival],
    fault_ended_ms: float,
) -> dict[str, object]:
    """The scenario's line of bench/results/chaos.json."""
    wanted = {e.notification_id: e for e in expected}
    times: dict[str, list[float]] = defaultdict(list)
    for a in arrivals:
        if a.notification_id in wanted:
            times[a.notification_id].append(a.received_ms)
    counts = Counter({nid: len(at) for nid, at in times.items()})
    first = {nid: min(at) for nid, at in times.items()}
    repeats = {nid: n - 1 for nid, n in counts.items() if n > 1}
    before = [
        first[nid] for nid, e in wanted.items() if e.published_ms <= fault_ended_ms and nid in first
    ]
    last_before = max(before, default=fault_ended_ms)
    return {
        "name": name,
        "events": events,
        "notifications": len(wanted),
        "lost": len(wanted.keys() - first.keys()),
        "duplicates": sum(n for nid, n in repeats.items() if wanted[nid].channel != "push"),
        "push_repeats": sum(n for nid, n in repeats.items() if wanted[nid].channel == "push"),
        "order_violations": order_violations(wanted.values(), first),
        "recovery_s": round(max(0.0, last_before - fault_ended_ms) / 1000, 1),
        "worst_delay_s": round(
            max(
                (first[nid] - e.published_ms for nid, e in wanted.items() if nid in first),
                default=0,
            )
            / 1000,
            1,
        ),
    }


def order_violations(expected: Iterable[Expected], first: dict[str, float]) -> int:
    """Adjacent pairs of a customer's notifications on a channel (in the order their events
    were published) whose first arrivals came the other way round."""
    lines: dict[tuple[str, str], list[Expected]] = defaultdict(list)
    for e in expected:
        if e.notification_id in first:
            lines[(e.customer, e.channel)].append(e)
    violations = 0
    for line in lines.values():
        line.sort(key=lambda e: e.published_ms)
        arrived = [first[e.notification_id] for e in line]
        violations += sum(1 for a, b in pairwise(arrived) if b < a)
    return violations
