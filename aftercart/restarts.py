"""When `aftercart up` starts a process again after it exits, and how it says why.

A process that exits is started again after a delay that doubles with each exit that came
soon after its start (1 s, 2 s, 4 s ... up to 30 s), so one that keeps dying is retried
without a tight loop; once a process has stayed up a while, its next exit starts from 1 s.
Time is injected (a clock function), so the schedule is tested without waiting.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]


def exit_reason(returncode: int) -> str:
    """What a Popen return code means, for people: `killed by SIGKILL`, `exited with code 1`."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name}"
    return f"exited with code {returncode}"


@dataclass(frozen=True)
class Backoff:
    """The delays between an exit and the next start."""

    first_s: float = 1.0
    factor: float = 2.0
    most_s: float = 30.0
    steady_s: float = 60.0  # up at least this long: its exit was not part of a crash loop

    def delay(self, fast_exits: int) -> float:
        """The delay after the n-th exit in a row that came within steady_s of its start
        (n counted from 0)."""
        return min(self.most_s, self.first_s * self.factor**fast_exits)


@dataclass
class Restarts:
    """One process's exits and restarts, and when it is due to start again."""

    backoff: Backoff
    started_at: float
    count: int = 0  # how many times it was started again
    last_exit: str = ""  # exit_reason() of its last exit, "" if it never exited
    fast_exits: int = 0  # exits in a row that came within backoff.steady_s of the start
    due: float | None = None  # when to start it again; None while it runs

    def exited(self, reason: str, now: float) -> float:
        """Note an exit; return the delay before it is started again."""
        if now - self.started_at >= self.backoff.steady_s:
            self.fast_exits = 0
        delay = self.backoff.delay(self.fast_exits)
        self.fast_exits += 1
        self.last_exit = reason
        self.due = now + delay
        return delay

    def is_due(self, now: float) -> bool:
        """True once the delay after an exit has passed."""
        return self.due is not None and now >= self.due

    def restarted(self, now: float) -> None:
        """Note that it was started again."""
        self.count += 1
        self.started_at = now
        self.due = None


@dataclass
class RestartBook:
    """Every supervised process's restarts, by name."""

    backoff: Backoff = field(default_factory=Backoff)
    clock: Clock = time.monotonic
    processes: dict[str, Restarts] = field(default_factory=dict)

    def started(self, name: str) -> None:
        """Note a first start (a name seen again keeps its count)."""
        if name not in self.processes:
            self.processes[name] = Restarts(self.backoff, self.clock())

    def of(self, name: str) -> Restarts:
        """The record of one process (a fresh one for a name never started)."""
        self.started(name)
        return self.processes[name]

    def exited(self, name: str, reason: str) -> float:
        """Note an exit (or a start that failed) and why; return the delay before the next
        start."""
        return self.of(name).exited(reason, self.clock())

    def waiting(self, name: str) -> bool:
        """True between an exit and the start after it."""
        return self.of(name).due is not None

    def due(self) -> list[str]:
        """Processes whose delay after an exit has passed, in the order they were started."""
        now = self.clock()
        return [name for name, r in self.processes.items() if r.is_due(now)]

    def restarted(self, name: str) -> None:
        """Note that a process was started again."""
        self.of(name).restarted(self.clock())

    @property
    def total(self) -> int:
        """Restarts of all processes together."""
        return sum(r.count for r in self.processes.values())
