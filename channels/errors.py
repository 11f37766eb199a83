"""What can go wrong when a channel delivers one message, typed by what the caller does next.

A sender makes one attempt and raises one of these; it never retries, returns False or logs
and swallows. The shared retry component decides what happens next from the type alone:

- `RetriableError`: try the same message again later (honour `retry_after` when set).
  A `CircuitOpen` one was not tried at all: the provider kept failing (channels/breaker.py);
  nor a `WaitingBehind` one: the customer's earlier message waits for a retry (channels/order.py).
  A `FailedOver` one was tried and failed at the channel's first provider, whose second one
  carries the traffic now: the channel is not down, and its retry goes to the second.
- `PermanentError`: this message can never be delivered as it is: dead-letter it with the
  error, do not retry, go on with the next message. A `ContactUnusable` one also says the
  contact point is unusable (`action`), which the worker reports as a `contact.failed` event.
- `LookupUnavailable`: only from `Sender.find`: the provider cannot say whether it has
  a message.
- `ConfigurationError`: our side is misconfigured (bad key, revoked credentials): pause the
  whole channel and alert; keep its messages, they will go once the configuration is fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import ClassVar, Literal

import aiohttp

ContactAction = Literal["opted_out", "invalid", "gone"]


class DeliveryError(Exception):
    """Root of every channel failure; catch the subclasses to decide what to do."""

    def __init__(self, channel: str, detail: str, provider_code: str | None = None) -> None:
        self.channel = channel
        self.detail = detail
        self.provider_code = provider_code
        code = f" [{provider_code}]" if provider_code else ""
        super().__init__(f"{channel}{code}: {detail}")


class RetriableError(DeliveryError):
    """A transient failure (timeout, connection, 5xx, rate limit): retry this message later.

    `retry_after` is the provider's own hint in seconds; when it is set, wait at least that
    long, and pause the channel rather than buffering more sends meanwhile.
    `maybe_accepted`: no answer came (a timeout, a connection lost after the request went
    out), so the provider may have accepted the message; ask it before sending again.
    """

    def __init__(
        self,
        channel: str,
        detail: str,
        provider_code: str | None = None,
        retry_after: float | None = None,
        *,
        maybe_accepted: bool = False,
    ) -> None:
        super().__init__(channel, detail, provider_code)
        self.retry_after = retry_after
        self.maybe_accepted = maybe_accepted


class CircuitOpen(RetriableError):
    """Not tried: the channel's provider failed too often in a row, so the message waits on the
    retry path until a probe finds it answering again (channels/breaker.py)."""

    def __init__(self, channel: str, failures: int, probe_in: float) -> None:
        detail = (
            f"not tried: the provider failed {failures} times in a row; "
            f"next probe in {probe_in:.0f} s"
        )
        super().__init__(channel, detail, retry_after=probe_in)


class WaitingBehind(RetriableError):
    """Not tried: the customer's earlier message on this channel waits for a retry, and this one
    goes after it (channels/order.py)."""

    def __init__(self, channel: str, ahead: str, seconds: float) -> None:
        detail = f"not tried: waiting behind {ahead}, the customer's earlier message"
        super().__init__(channel, detail, retry_after=seconds)


class FailedOver(RetriableError):
    """The channel's first provider failed this message, and its second provider carries the
    traffic now (channels/failover.py): retry it, through the second. The channel itself is
    not down, so the circuit breaker does not count it; the first provider's Retry-After is
    not this retry's wait. `maybe_accepted` is kept: the retry asks both providers first."""

    @classmethod
    def of(cls, exc: RetriableError) -> FailedOver:
        """The first provider's failure `exc`, now that the second has the traffic."""
        rerouted = cls(
            exc.channel, exc.detail, exc.provider_code, maybe_accepted=exc.maybe_accepted
        )
        rerouted.__cause__ = exc
        return rerouted


class PermanentError(DeliveryError):
    """The message cannot be delivered as it is: dead-letter it, never retry it."""


class ConfigurationError(DeliveryError):
    """Our credentials or setup are wrong: pause the channel, keep its messages, alert."""


class LookupUnavailable(DeliveryError):
    """The provider cannot be asked whether it has a message (no such API, or our key may not
    use it): the worker cannot tell, and sends again."""


class ContactUnusable(PermanentError):
    """The provider says the contact point itself cannot be used, not just this message:
    dead-letter the message and report `action` (a `contact.failed` event, channels/feedback.py)
    so the stream processor stops using the contact point."""

    action: ClassVar[ContactAction]


class OptedOut(ContactUnusable):
    """The recipient texted STOP (Twilio 21610): switch SMS off for them."""

    action = "opted_out"


class InvalidContact(ContactUnusable):
    """Not a number that takes texts (Twilio 21211, 21614): flag the number, stop using it."""

    action = "invalid"


class SubscriptionGone(ContactUnusable):
    """The push subscription expired or was revoked (404/410): dead-letter and delete it."""

    action = "gone"


class PayloadTooLarge(PermanentError):
    """The push service refused the payload's size (413) even after it was shortened."""


class DisallowedEndpoint(PermanentError):
    """A push subscription points outside the allowed push services: dead-letter, never call."""


class RenderError(PermanentError):
    """The request cannot be rendered (data a template needs is missing): dead-letter it."""


class UnknownTemplate(RenderError):
    """No template exists for this notification's template name: dead-letter it."""


class MissingContact(PermanentError):
    """The recipient has no contact point for this channel: dead-letter it."""


def no_answer(channel: str, exc: Exception) -> RetriableError:
    """A network failure as a RetriableError: one that may have followed an accepted request
    (a timeout, a connection lost mid-request) is `maybe_accepted`; a refused connection is not."""
    refused = isinstance(exc, aiohttp.ClientConnectorError)
    detail = f"{type(exc).__name__}: {exc}"
    return RetriableError(channel, detail, maybe_accepted=not refused)


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from Retry-After (delta or HTTP date) or X-RateLimit-Reset (epoch)."""
    now = now or datetime.now(UTC)
    value = headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())
    reset = headers.get("X-RateLimit-Reset")
    if reset and reset.strip().isdigit():
        return max(0.0, int(reset) - now.timestamp())
    return None
