"""How `aftercart up` starts again a process that exits: the back-off schedule on a fake clock,
its reset after a steady run, the reason given, and a stack tending real short-lived
processes (no Kafka: the stack's own broker is off)."""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from aftercart.processes import RUN_FILE, RunFile
from aftercart.restarts import Backoff, RestartBook, exit_reason
from aftercart.stack import Stack
from bench.measure import wait_until
from runtime.settings import Settings

SLEEPS = "import time; time.sleep(600)"


@dataclass
class FakeClock:
    """A clock that moves only when told."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def exits_after(book: RestartBook, clock: FakeClock, name: str, up_for: float) -> float:
    """It runs `up_for` seconds, exits, waits its delay and is started again; the delay."""
    clock.advance(up_for)
    delay = book.exited(name, "exited with code 1")
    clock.advance(delay)
    assert book.due() == [name]
    book.restarted(name)
    return delay


def test_a_process_that_keeps_exiting_waits_twice_as_long_each_time_up_to_30_s() -> None:
    clock = FakeClock()
    book = RestartBook(Backoff(), clock)
    book.started("worker-email")
    delays = [exits_after(book, clock, "worker-email", up_for=0.5) for _ in range(8)]
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30]
    assert book.of("worker-email").count == 8
    assert book.total == 8


def test_it_is_not_started_again_before_its_delay() -> None:
    clock = FakeClock()
    book = RestartBook(Backoff(), clock)
    book.started("gateway")
    assert book.exited("gateway", "killed by SIGKILL") == 1
    assert book.waiting("gateway")
    clock.advance(0.99)
    assert book.due() == []
    clock.advance(0.01)
    assert book.due() == ["gateway"]
    book.restarted("gateway")
    assert not book.waiting("gateway")
    assert book.due() == []


def test_after_a_steady_run_the_next_exit_starts_again_from_the_first_delay() -> None:
    clock = FakeClock()
    book = RestartBook(Backoff(steady_s=60), clock)
    book.started("kafka")
    assert [exits_after(book, clock, "kafka", 1) for _ in range(3)] == [1, 2, 4]
    # Up a minute: that exit was not part of the same crash loop
    assert exits_after(book, clock, "kafka", 60) == 1
    assert exits_after(book, clock, "kafka", 59) == 2
    assert book.of("kafka").count == 5


def test_each_process_has_its_own_schedule_and_the_last_reason_is_kept() -> None:
    clock = FakeClock()
    book = RestartBook(Backoff(), clock)
    for name in ("sandbox", "worker-sms"):
        book.started(name)
    exits_after(book, clock, "sandbox", 1)
    exits_after(book, clock, "sandbox", 1)
    clock.advance(1)
    assert book.exited("worker-sms", "killed by SIGKILL") == 1
    assert book.exited("sandbox", "exited with code 2") == 4
    assert book.of("worker-sms").last_exit == "killed by SIGKILL"
    assert book.of("sandbox").last_exit == "exited with code 2"
    clock.advance(1)
    assert book.due() == ["worker-sms"]  # the sandbox waits 4 s
    assert book.total == 2


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (-signal.SIGKILL, "killed by SIGKILL"),
        (-signal.SIGSEGV, "killed by SIGSEGV"),
        (1, "exited with code 1"),
        (0, "exited with code 0"),
        (-200, "killed by signal 200"),
    ],
)
def test_the_reason_names_the_signal_or_the_exit_code(code: int, reason: str) -> None:
    assert exit_reason(code) == reason


def stack_on(tmp_path: Path, clock: FakeClock) -> Stack:
    return Stack(Settings(), tmp_path, own_broker=False, restarts=RestartBook(Backoff(), clock))


def test_a_stack_starts_an_exited_process_again_after_its_delay_and_records_why(
    tmp_path: Path,
) -> None:
    # Given a stack tending a process that fails at once and one that runs
    clock = FakeClock()
    stack = stack_on(tmp_path, clock)
    fails = "import sys; print('no config here'); sys.exit(3)"
    try:
        failing = stack.supervisor.spawn("failing", [sys.executable, "-c", fails], {})
        steady = stack.supervisor.spawn("steady", [sys.executable, "-c", SLEEPS], {})
        stack.record()
        failing.process.wait()
        # When the stack tends them
        stack.tend()
        # Then the exit is recorded with its reason and a restart pending, not yet made
        run = RunFile.read(tmp_path / RUN_FILE)
        assert run is not None
        first = run.processes[0]
        assert (first.name, first.restarts, first.last_exit) == ("failing", 0, "exited with code 3")
        assert first.restarting
        assert stack.supervisor.children[0] is failing
        # And once its delay has passed it is started again, in its place, the other untouched
        clock.advance(1)
        stack.tend()
        again = stack.supervisor.children[0]
        assert again is not failing and again.name == "failing"
        assert stack.supervisor.children[1] is steady and steady.process.poll() is None
        again.process.wait()
        stack.tend()
        clock.advance(1)
        stack.tend()
        assert stack.supervisor.children[0] is again  # the second delay is 2 s
        clock.advance(1)
        stack.tend()
        run = RunFile.read(tmp_path / RUN_FILE)
        assert run is not None
        assert run.restarts == 2
        assert [(p.name, p.restarts) for p in run.processes] == [("failing", 2), ("steady", 0)]
        assert not run.processes[0].restarting
        # And its log keeps what each run wrote
        log = (tmp_path / "logs" / "failing.log").read_text()
        assert log.count("no config here") == 2
        assert "--- failing started again at" in log
    finally:
        stack.stop()


def test_a_killed_process_is_recorded_with_the_signal(tmp_path: Path) -> None:
    clock = FakeClock()
    stack = stack_on(tmp_path, clock)
    try:
        child = stack.supervisor.spawn("sleeper", [sys.executable, "-c", SLEEPS], {})
        stack.record()
        child.process.send_signal(signal.SIGKILL)
        wait_until(lambda: child.process.poll() is not None, 30, "the child to die")
        stack.tend()
        assert stack.restarts.of("sleeper").last_exit == "killed by SIGKILL"
        clock.advance(1)
        stack.tend()
        run = RunFile.read(tmp_path / RUN_FILE)
        assert run is not None
        (sleeper,) = run.processes
        assert (sleeper.restarts, sleeper.last_exit) == (1, "killed by SIGKILL")
        assert sleeper.pid == stack.supervisor.children[0].process.pid != child.process.pid
    finally:
        stack.stop()


def test_stop_leaves_no_child_running(tmp_path: Path) -> None:
    stack = stack_on(tmp_path, FakeClock())
    child = stack.supervisor.spawn("sleeper", [sys.executable, "-c", SLEEPS], {})
    stack.record()
    stack.stop()
    assert child.process.returncode == -signal.SIGTERM
    assert not (tmp_path / RUN_FILE).exists()


def test_a_start_that_fails_counts_as_an_exit_and_is_tried_again_later(tmp_path: Path) -> None:
    clock = FakeClock()
    stack = stack_on(tmp_path, clock)
    try:
        child = stack.supervisor.spawn("sleeper", [sys.executable, "-c", SLEEPS], {})
        stack.record()
        child.argv = (str(tmp_path / "no-such-program"),)  # as if it was removed meanwhile
        child.process.kill()
        child.process.wait()
        stack.tend()
        clock.advance(1)
        stack.tend()
        record = stack.restarts.of("sleeper")
        assert record.last_exit.startswith("could not start: ")
        assert record.due == clock.now + 2  # the next delay, not a tight loop
        assert stack.supervisor.children == [child]
    finally:
        stack.stop()
