"""The one retry component: channels make single attempts, this decides when to try again.

A retriable failure is never waited out in place: the channel worker asks `RetryPolicy.next_try`
when the next attempt is due (or whether to give up), puts the request on its retry topic with
that time and goes on (channels/worker.py). Only a refused configuration holds a message where
it is (`through_pause`): every message would meet it, so the whole channel waits.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from channels.errors import ConfigurationError
from channels.messages import Receipt
from channels.pause import ChannelPause
from schemas.deadletter import Attempt

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, honouring a provider's Retry-After."""

    max_attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 30.0
    pause_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None, rng: Callable[[], float]) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * rng()
        return max(backoff, min(retry_after or 0.0, self.max_delay))

    def next_try(
        self,
        failures: int,
        retry_after: float | None,
        now: datetime,
        rng: Callable[[], float] = random.random,
    ) -> datetime | None:
        """When to try again after `failures` failed attempts, the last at `now` with the
        provider's hint `retry_after`; None: the attempts are used up, give up."""
        if failures >= self.max_attempts:
            return None
        return now + timedelta(seconds=self.delay(failures, retry_after, rng))


def failed_attempt(exc: Exception, at: datetime) -> Attempt:
    """The history entry for an attempt that failed with `exc`."""
    code = getattr(exc, "provider_code", None)
    return Attempt(at=at, error=str(exc), kind=type(exc).__name__, code=code)


async def through_pause(
    attempt: Callable[[], Awaitable[Receipt]],
    pause: ChannelPause,
    pause_delay: float,
    sleep: Sleep = asyncio.sleep,
) -> Receipt:
    """Make one attempt as retries count them: wait while the channel is paused, and when the
    provider refuses our configuration, pause the channel (channels/pause.py) instead of
    failing. The message that paused it tries again every `pause_delay` seconds as the
    channel's probe; any other message waits for the channel to resume, then tries."""
    probe = False
    while True:
        if not probe:
            await pause.wait()
        refused = False
        try:
            return await attempt()
        except ConfigurationError as exc:
            refused = True
            probe = pause.refused(exc, probe=probe)
        finally:
            if probe and not refused:  # any other answer: our configuration is taken again
                pause.resume()
                probe = False
        if probe:
            await sleep(pause_delay)
