"""Keep a replay to a rate: records put back per second, at most, so that replaying a big
topic does not bury the pipeline's live traffic (or the providers) under a burst."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Pace:
    """`wait()` before each record put back: returns once the record's turn has come, the
    n-th record not before n / rate seconds after the first. A rate of None never waits.
    Falling behind (a slow broker) is not made up for with a burst beyond the rate's
    schedule; it only means no waiting until the schedule is caught up."""

    rate: float | None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _start: float | None = field(default=None, init=False)
    _count: int = field(default=0, init=False)

    def wait(self) -> None:
        if self.rate is None:
            return
        now = self.clock()
        if self._start is None:
            self._start = now
        due = self._start + self._count / self.rate
        if due > now:
            self.sleep(due - now)
        self._count += 1
