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
from runtime.settings import Settings
from schemas.deadletter import Attempt

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """Retries spread over a window long enough to outlast a provider's outage: steps that
    double from `first_delay` up to `max_delay`, each drawn between half and all of its
    length (so workers that failed together do not come back together), never sooner than
    the provider's Retry-After, and none past `retry_for` after the first attempt."""

    first_delay: float = 1.0
    max_delay: float = 600.0
    retry_for: float = 86_400.0
    max_attempts: int | None = None  # none: the window alone decides
    pause_delay: float = 30.0

    @classmethod
    def of(cls, settings: Settings) -> RetryPolicy:
        """The policy the settings describe."""
        return cls(
            first_delay=settings.retry_first_s,
            max_delay=settings.retry_max_delay_s,
            retry_for=settings.retry_for,
            max_attempts=settings.channel_max_attempts,
        )

    def delay(self, attempt: int, retry_after: float | None, rng: Callable[[], float]) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        step = min(self.max_delay, self.first_delay * 2 ** min(attempt - 1, 64))
        backoff = step * (1 + rng()) / 2
        return max(backoff, min(retry_after or 0.0, self.max_delay))

    def next_try(
        self,
        failures: int,
        retry_after: float | None,
        now: datetime,
        first: datetime | None = None,
        rng: Callable[[], float] = random.random,
    ) -> datetime | None:
        """When to try again after `failures` failed attempts, the first at `first` (default:
        `now`) and the last at `now` with the provider's hint `retry_after`. The last try
        comes at the window's end; None: the window (or the attempts) is used up."""
        if self.max_attempts is not None and failures >= self.max_attempts:
            return None
        deadline = (first or now) + timedelta(seconds=self.retry_for)
        if now >= deadline:
            return None
        return min(deadline, now + timedelta(seconds=self.delay(failures, retry_after, rng)))


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
