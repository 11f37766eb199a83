"""A channel worker's circuit breaker: while its provider keeps failing, stop calling it.

Retries alone would keep every message in flight knocking on a provider that is down: one
request per message per attempt. The breaker counts retriable failures in a row (any answer
that is not one resets the count). After `after` of them it opens: messages are not sent but
held on the retry path (channels/delivery.py puts them on the retry topic, due no sooner than
the next probe), so the provider sees nothing from them. Every `probe_every` seconds one
message at a time is let through as a probe (half-open); its success closes the breaker and
everything flows again, its failure opens it for another `probe_every`.

One breaker per channel worker process, shared by its two agents; it remembers nothing across
restarts (a restarted worker finds out again within `after` failures). Pure state and an
injected monotonic clock: tests/unit/test_channel_breaker.py drives it without sleeping.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Literal

log = logging.getLogger(__name__)
State = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    """Closed while the provider answers; open after `after` retriable failures in a row;
    half-open while one probe is out."""

    def __init__(
        self,
        channel: str,
        after: int,
        probe_every: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.channel = channel
        self.after = after
        self.probe_every = probe_every
        self._clock = clock
        self.state: State = "closed"
        self.failures = 0  # retriable failures in a row
        self._opened = 0.0  # when it last opened (or its last probe failed)
        self._closed = asyncio.Event()  # set while closed: wakes the messages it held
        self._closed.set()

    def allow(self) -> bool:
        """Whether a message may call the provider now. While open, the first one asking once
        `probe_every` has passed becomes the probe (half-open) and the rest are held."""
        if self.state == "closed":
            return True
        if self.state == "open" and self.wait() == 0:
            self.state = "half-open"
            log.info("channel %s: probing the provider", self.channel)
            return True
        return False

    def wait(self) -> float:
        """Seconds until the next probe may go (0: now; while a probe is out, a full period)."""
        if self.state == "closed":
            return 0.0
        if self.state == "half-open":
            return self.probe_every
        return max(0.0, self._opened + self.probe_every - self._clock())

    def failed(self) -> None:
        """A call failed retriably (5xx, 429, timeout, refused connection)."""
        self.failures += 1
        if self.state == "half-open" or (self.state == "closed" and self.failures >= self.after):
            if self.state == "closed":
                log.error(
                    "channel %s: the provider failed %d times in a row: holding messages on the "
                    "retry topic, probing it every %g s",
                    self.channel,
                    self.failures,
                    self.probe_every,
                )
            self.state = "open"
            self._opened = self._clock()
            self._closed.clear()

    def rerouted(self) -> None:
        """A call failed at the channel's first provider, and its second one has the traffic
        now (channels/failover.py): not counted, the channel can still deliver. A probe that
        ends so learned nothing of the second provider, which is what failed in a row: the
        breaker stays open for another `probe_every`."""
        if self.state == "half-open":
            self.state = "open"
            self._opened = self._clock()

    def answered(self) -> None:
        """A call got an answer that was not a retriable failure: the provider is up."""
        if self.state != "closed":
            log.warning(
                "channel %s: the provider answers again after %d failures in a row",
                self.channel,
                self.failures,
            )
        self.state = "closed"
        self.failures = 0
        self._closed.set()

    async def closed_within(
        self, seconds: float, sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        """Wait `seconds` (with `sleep`), or less if the breaker closes first: a message it
        held goes as soon as a probe finds the provider answering, not at its own due time."""
        if self._closed.is_set():
            await sleep(seconds)
            return
        waits = [asyncio.ensure_future(sleep(seconds)), asyncio.ensure_future(self._closed.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
