"""Rate limits per provider sender: a token bucket that makes a send wait for its turn.

Twilio lets a US long code send 1 segment a second (toll-free 3, short code 100 and more); a
text of two segments costs two tokens. The bucket is per worker process: run one SMS worker
per sender number, or divide the rate among them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; take() waits until enough are there."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.burst = max(burst if burst is not None else rate, 1.0)
        self.clock, self.sleep = clock, sleep
        self._tokens = self.burst
        self._at = clock()
        self._turn = asyncio.Lock()  # first come, first served

    async def take(self, cost: float = 1.0) -> None:
        """Wait until `cost` tokens are there and spend them (a cost above the burst waits
        for a full bucket and goes, so a long message is never refused)."""
        async with self._turn:
            need = min(cost, self.burst)
            while True:
                now = self.clock()
                self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
                self._at = now
                if self._tokens >= need - 1e-9:  # float sums: 0.1 * 10 may be 0.999...
                    self._tokens -= cost
                    return
                await self.sleep((need - self._tokens) / self.rate)
