"""A second provider for a channel: a small circuit breaker in front of two senders.

Closed: every message goes to the primary. After `threshold` retriable failures of the primary
in a row the circuit opens and every message goes to the secondary. Once `cooldown_s` has
passed, one message at a time goes to the primary again (half-open): if it is accepted the
primary takes over again, if it fails retriably the secondary keeps the traffic for another
cooldown. Permanent errors (a bad address) say nothing about the provider's health and never
trip the circuit. Like every sender it makes one attempt per call: the message that trips the
circuit fails as the primary failed, and its retry goes to the secondary. A primary failure that
leaves the secondary with the traffic is raised as `FailedOver`, which the channel's own circuit
breaker (channels/breaker.py) does not count: messages already in flight to the primary when it
went down fail together, and must not stop the channel while the secondary can carry it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channels.base import Sender
from channels.errors import ConfigurationError, FailedOver, PermanentError, RetriableError
from channels.messages import Message, Receipt

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProviderReceipt(Receipt):
    """A Receipt that also names the provider that accepted the message."""

    provider: str


class FailoverSender:
    """Sends through `primary` and falls over to `secondary` while the primary keeps failing."""

    def __init__(
        self,
        primary: Sender[Any],
        secondary: Sender[Any],
        *,
        threshold: int,
        cooldown_s: float,
        clock: Callable[[], float],
        names: tuple[str, str] = ("primary", "secondary"),
    ) -> None:
        if threshold < 1:
            raise ValueError(f"threshold must be at least 1, got {threshold}")
        self.channel = primary.channel
        self.can_find = primary.can_find or secondary.can_find
        self._primary, self._secondary = primary, secondary
        self._primary_name, self._secondary_name = names
        self._threshold = threshold
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._failures = 0  # consecutive retriable failures of the primary
        self._opened_at: float | None = None  # None: closed, the primary has the traffic
        self._probing = False  # a half-open message is with the primary now

    @property
    def failed_over(self) -> bool:
        """Whether the secondary has the traffic."""
        return self._opened_at is not None

    async def send(self, message: Message) -> Receipt:
        """One attempt, through whichever provider the circuit says."""
        if self._opened_at is None:
            return await self._through_primary(message, probe=False)
        if not self._probing and self._clock() - self._opened_at >= self._cooldown_s:
            return await self._through_primary(message, probe=True)
        receipt = await self._secondary.send(message)
        return self._named(receipt, self._secondary_name)

    async def find(self, message: Message, since: datetime) -> Receipt | None:
        """Ask the primary, then the secondary: either may have sent it, whatever the circuit
        says now (it may have been another worker process's circuit)."""
        if self._primary.can_find:
            found = await self._primary.find(message, since)
            if found is not None:
                return self._named(found, self._primary_name)
        found = await self._secondary.find(message, since)
        return None if found is None else self._named(found, self._secondary_name)

    async def close(self) -> None:
        """Close both senders."""
        try:
            await self._primary.close()
        finally:
            await self._secondary.close()

    async def _through_primary(self, message: Message, *, probe: bool) -> Receipt:
        self._probing = self._probing or probe
        try:
            receipt = await self._primary.send(message)
        except RetriableError as exc:
            self._failed(exc, probe=probe)
            if self.failed_over:
                raise FailedOver.of(exc) from exc
            raise
        except ConfigurationError:
            raise  # our setup, not the provider's health: the worker pauses the channel
        except PermanentError:
            # A refusal of this one message is an answer: the provider is up.
            self._recovered(probe=probe)
            raise
        finally:
            if probe:
                self._probing = False
        self._recovered(probe=probe)
        return self._named(receipt, self._primary_name)

    def _failed(self, exc: RetriableError, *, probe: bool) -> None:
        if probe:
            self._opened_at = self._clock()
            log.error(
                "%s still failing (%s); %s keeps sending for another %.0f s",
                self._primary_name,
                exc,
                self._secondary_name,
                self._cooldown_s,
            )
            return
        self._failures += 1
        if self._opened_at is None and self._failures >= self._threshold:
            self._opened_at = self._clock()
            log.error(
                "FAILOVER: %s failed %d times in a row (last: %s); %s sends %s until %s recovers",
                self._primary_name,
                self._failures,
                exc,
                self._secondary_name,
                self.channel,
                self._primary_name,
            )

    def _recovered(self, *, probe: bool) -> None:
        self._failures = 0
        if probe and self._opened_at is not None:
            self._opened_at = None
            log.warning("%s recovered; it sends %s again", self._primary_name, self.channel)

    @staticmethod
    def _named(receipt: Receipt, provider: str) -> ProviderReceipt:
        return ProviderReceipt(
            receipt.channel, receipt.notification_id, receipt.provider_id, provider
        )
