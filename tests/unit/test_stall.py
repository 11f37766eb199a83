"""A worker whose Kafka client keeps asking a dead broker for records gives up and exits,
to be started again with a fresh client; one that moves on to the new leaders does not."""

from __future__ import annotations

import logging

from runtime.stall import FETCHER_LOGGER, FetchStall


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(watch: FetchStall, clock: Clock, node: int, seconds: float, every: float = 0.1) -> None:
    """The fetcher failing against `node` every `every` seconds for `seconds`."""
    end = clock.now + seconds
    while clock.now < end:
        record = logging.LogRecord(
            FETCHER_LOGGER, logging.ERROR, __file__, 1, "Failed fetch messages from %s: %s",
            (node, "NodeNotReadyError"), None,
        )  # fmt: skip
        watch.handle(record)
        clock.now += every


def test_fetches_failing_against_one_broker_for_the_limit_are_a_stall() -> None:
    clock = Clock()
    watch = FetchStall(90, clock)
    fail(watch, clock, 3, 60)
    assert watch.stalled() is None
    fail(watch, clock, 3, 31)
    said = watch.stalled()
    assert said is not None and "broker 3 has failed without a pause for 91 s" in said


def test_a_client_that_moves_to_the_new_leader_is_not_stalled() -> None:
    clock = Clock()
    watch = FetchStall(90, clock)
    fail(watch, clock, 3, 12)  # a new leader is elected, the fetcher moves on
    clock.now += 120
    assert watch.stalled() is None


def test_failures_with_pauses_between_them_are_not_one_run() -> None:
    clock = Clock()
    watch = FetchStall(90, clock)
    for _ in range(8):  # a flapping broker: 10 s of failures, then 10 s of quiet
        fail(watch, clock, 2, 10)
        clock.now += 10
    fail(watch, clock, 2, 1)
    assert watch.stalled() is None


def test_other_errors_of_the_fetcher_are_not_counted() -> None:
    clock = Clock()
    watch = FetchStall(1, clock)
    record = logging.LogRecord(FETCHER_LOGGER, logging.ERROR, __file__, 1, "Other %s", (1,), None)
    for _ in range(100):
        watch.handle(record)
        clock.now += 0.1
    assert watch.stalled() is None
