"""How `make chaos` counts a scenario: lost, sent twice, out of order, time to recover."""

from __future__ import annotations

import phonenumbers

from bench.chaos import CUSTOMERS, SCENARIOS, failed
from bench.scorecard import Arrival, Expected, score
from bench.workload import customers, phone_of


def expected(nid: str, customer: str = "c1", channel: str = "email", at: float = 0) -> Expected:
    return Expected(nid, customer, channel, at)


def test_a_clean_run_scores_nothing_wrong_and_recovers_when_the_last_early_one_arrived() -> None:
    wanted = [expected("a", at=1000), expected("b", at=2000), expected("c", at=9000)]
    arrivals = [Arrival("a", 1500), Arrival("b", 6000), Arrival("c", 9500), Arrival("x", 1)]
    line = score("worker-kill-email", 3, wanted, arrivals, fault_ended_ms=3000)
    assert line == {
        "name": "worker-kill-email",
        "events": 3,
        "notifications": 3,
        "lost": 0,
        "duplicates": 0,
        "push_repeats": 0,
        "order_violations": 0,
        "recovery_s": 3.0,  # b, published before the fault ended, arrived 3 s after
        "worst_delay_s": 4.0,  # b again: published at 2 s, arrived at 6 s
    }
    assert not failed(line)


def test_missing_and_repeated_notifications_are_lost_and_duplicates_push_apart() -> None:
    wanted = [
        expected("mail", channel="email"),
        expected("text", channel="sms"),
        expected("push", channel="push"),
        expected("never", channel="email"),
    ]
    arrivals = [Arrival(n, 10) for n in ("mail", "mail", "text", "text", "text", "push", "push")]
    line = score("s", 4, wanted, arrivals, fault_ended_ms=0)
    assert (line["lost"], line["duplicates"], line["push_repeats"]) == (1, 3, 1)
    assert failed(line)
    # a push repeated only is what the README states: not a failure
    only_push = score("s", 1, [expected("push", channel="push")], arrivals, 0)
    assert only_push["push_repeats"] == 1 and not failed(only_push)


def test_order_is_checked_per_customer_and_channel_by_first_arrival() -> None:
    wanted = [
        expected("a1", "ann", "email", 1),
        expected("a2", "ann", "email", 2),
        expected("a3", "ann", "email", 3),
        expected("b1", "bob", "email", 1),
        expected("b2", "bob", "sms", 2),
    ]
    arrivals = [
        Arrival("a1", 100),
        Arrival("a3", 150),  # overtook a2
        Arrival("a2", 200),
        Arrival("a1", 300),  # a repeat: its first arrival counts
        Arrival("b2", 10),  # another channel: no order between them
        Arrival("b1", 50),
    ]
    line = score("s", 5, wanted, arrivals, 0)
    assert line["order_violations"] == 1 and failed(line)


def test_nothing_published_before_the_fault_ended_recovers_at_once() -> None:
    line = score("s", 1, [expected("late", at=5000)], [Arrival("late", 5200)], 4000)
    assert line["recovery_s"] == 0.0


def test_every_bench_customer_has_a_valid_mobile_number_of_its_own() -> None:
    # a number the stream processor finds invalid gets no text: the bench would count it lost
    people = [f"{scenario}-{c.id}" for scenario in SCENARIOS for c in customers(CUSTOMERS)]
    numbers = [phonenumbers.parse(phone_of(cid)) for cid in people]
    assert all(phonenumbers.is_valid_number(n) for n in numbers)
    assert len({phone_of(cid) for cid in people}) > 0.99 * len(people)
