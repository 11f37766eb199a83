"""The one retry component: channels make single attempts, this decides when to try again."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from channels.errors import ConfigurationError, RetriableError
from channels.messages import Receipt
from channels.pause import ChannelPause

log = logging.getLogger(__name__)
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


@dataclass
class Exhausted(Exception):
    """Every attempt failed; `history` holds one entry per attempt."""

    last: Exception
    history: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"gave up after {len(self.history)} attempts: {self.last}"


async def with_retries(
    attempt: Callable[[], Awaitable[Receipt]],
    policy: RetryPolicy,
    pause: ChannelPause,
    *,
    sleep: Sleep = asyncio.sleep,
    rng: Callable[[], float] = random.random,
) -> Receipt:
    """Call `attempt` until it succeeds, fails permanently, or the attempts run out.

    A ConfigurationError (bad credentials) never uses up attempts: it pauses the whole channel
    (channels/pause.py) and the message waits, or probes, until the configuration is fixed.
    """
    history: list[dict[str, Any]] = []
    probe = False  # this message probes the paused channel
    while True:
        if not probe:
            await pause.wait()
        refused = False
        try:
            return await attempt()
        except ConfigurationError as exc:
            refused = True
            probe = pause.refused(exc, probe=probe)
            wait = policy.pause_delay
        except RetriableError as exc:
            history.append(_entry(exc))
            if len(history) >= policy.max_attempts:
                raise Exhausted(exc, history) from exc
            wait = policy.delay(len(history), exc.retry_after, rng)
        finally:
            if probe and not refused:  # any other answer: our configuration is taken again
                pause.resume()
                probe = False
        if refused and not probe:
            continue  # another message probes; this one waits for the channel to resume
        await sleep(wait)


def _entry(exc: Exception) -> dict[str, Any]:
    return {"at": datetime.now(UTC), "error": str(exc), "kind": type(exc).__name__}
