"""A channel-wide pause while the provider refuses our configuration (401/403 and kin).

A ConfigurationError (a rejected key, a sender we may not use) means every message would fail
the same way: retrying each on its own would repeat the refusal once per message in flight and
use up their attempts. Instead the first message that meets it pauses the whole channel and
becomes its probe: it tries again every `RetryPolicy.pause_delay` seconds while every other
message waits, its attempts untouched, holding its place (and, once the worker's in-flight
limit is reached, Kafka keeps the rest: nothing is dropped). The first answer to the probe
that is not a configuration error resumes the channel.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from channels.errors import ConfigurationError

log = logging.getLogger(__name__)


class ChannelPause:
    """Open while the channel sends; closed while the provider refuses our configuration."""

    def __init__(self, channel: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.channel = channel
        self._clock = clock
        self._open = asyncio.Event()
        self._open.set()
        self._since = 0.0
        self.reason: str | None = None  # the provider's refusal, while paused

    @property
    def paused(self) -> bool:
        """Whether the channel is paused now."""
        return not self._open.is_set()

    async def wait(self) -> None:
        """Return at once while the channel is open; otherwise once it resumes."""
        await self._open.wait()

    def refused(self, exc: ConfigurationError, *, probe: bool) -> bool:
        """The provider refused our configuration: pause the channel if it is open. Returns
        whether the caller is the probe (it paused the channel now, or was the probe)."""
        if probe:
            log.error(
                "channel %s still PAUSED after %.0f s: %s",
                self.channel,
                self._clock() - self._since,
                exc,
            )
            return True
        if self.paused:
            return False
        self._open.clear()
        self._since, self.reason = self._clock(), str(exc)
        log.error(
            "channel %s PAUSED: the provider refuses our configuration (%s). Its messages are "
            "kept and go out once this is fixed; one is tried again periodically.",
            self.channel,
            exc,
        )
        return True

    def resume(self) -> None:
        """The probe got an answer that was not a configuration error: send again."""
        if self.paused:
            log.warning(
                "channel %s resumed after %.0f s paused", self.channel, self._clock() - self._since
            )
            self._open.set()
            self.reason = None
